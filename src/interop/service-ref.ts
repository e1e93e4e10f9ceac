import type { ServiceRef, SubsystemId } from './interop-client.js';

/** `INSTANCE/CLASS/MEMBER/SUBSYSTEM[/SERVICE[/VERSION]]` as written in configuration (both runtimes read it). */
export function parseServiceRef(text: string): ServiceRef {
  const [instance, memberClass, memberCode, subsystem, service, version] = text.split('/');
  if (!instance || !memberClass || !memberCode || !subsystem || !service) throw new Error(`invalid configuration: "${text}" is not INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE`);
  return { instance, memberClass, memberCode, subsystem, service, ...(version ? { version } : {}) };
}

/** `XROAD_CLIENT`: `INSTANCE/CLASS/MEMBER/SUBSYSTEM`. */
export function parseSubsystem(text: string): SubsystemId {
  const [instance, memberClass, memberCode, subsystem] = text.split('/');
  if (!instance || !memberClass || !memberCode || !subsystem) throw new Error(`invalid configuration: XROAD_CLIENT "${text}" is not INSTANCE/CLASS/MEMBER/SUBSYSTEM`);
  return { instance, memberClass, memberCode, subsystem };
}
