import type { ServiceOutcome } from '../engine/types.js';
import type { Language } from '../engine/schema.js';
import type { PortalCall } from '../portal/port.js';

/** What a service knows of the hop that called it. */
export interface ServiceContext {
  /** E.164 number of the caller, as normalised by the channel. */
  msisdn: string;
  language: Language;
  /** Aborted when the hop's time budget is spent. */
  signal: AbortSignal;
  /** How the citizen asked: the access log writes it in the holder's entry (a deferred USSD answer is `ussd`). */
  channel: 'ussd' | 'sms';
}

/** How a service asks the portal for its caller: the time budget, the citizen it asks for, their channel. */
export function portalCallOf(ctx: Pick<ServiceContext, 'msisdn' | 'signal' | 'channel'>): PortalCall {
  return { signal: ctx.signal, userId: ctx.msisdn, channel: ctx.channel };
}

/** A named service a menu's action node may call, e.g. `portal.requestStatus`. */
export type ServiceHandler = (args: Readonly<Record<string, string>>, ctx: ServiceContext) => Promise<ServiceOutcome>;

export type ServiceRegistry = Readonly<Record<string, ServiceHandler>>;
