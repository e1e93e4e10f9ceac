import type { ServiceOutcome } from '../engine/types.js';
import type { PortalClient } from '../portal/port.js';
import { BENIN_UTC_OFFSET_MS } from '../reminders/schedule.js';
import { createHolderProof, DEFAULT_PII_HASH_KEY, isIdentityClaim, type HolderProofOptions } from '../services/holder-proof.js';
import { guarded } from '../services/portal-services.js';
import { portalCallOf, type ServiceRegistry } from '../services/service-registry.js';
import type { AccessLogStore, ChainedEntry } from './port.js';
import { accessLogHolderKey } from './recorder.js';

/** How many entries the holder is shown by USSD and SMS. */
export const ACCESS_LOG_SHOWN = 5;

export interface AccessLogServicesDeps {
  /** Absent (Workers: no durable store wired yet): the service answers `unavailable`, said so in the menu. */
  store?: AccessLogStore;
  /** The portal the proof asks (the recording one: a proved look at someone's file is itself a lookup). */
  portal: PortalClient;
  /** The same counters, key and clock as tracking's NPI proof. */
  holderProof?: HolderProofOptions;
}

/**
 * `accessLog.recent`: the last lookups of a holder's requests, under the holder rule. Without
 * arguments, the caller's own number's log (the requests filed with it); with a request number,
 * NPI and birth date, that request's lookups once the proof holds (the same counters and locks as
 * tracking, `locked` past them). Outcomes: `ok` (`entries`: one line per lookup, newest first;
 * `count`), `none`, `denied`, `locked`, `unavailable`. The NPI and birth date leave the session at once.
 */
export function createAccessLogServices(deps: AccessLogServicesDeps): ServiceRegistry {
  const piiHashKey = deps.holderProof?.piiHashKey ?? DEFAULT_PII_HASH_KEY;
  const proveIdentity = createHolderProof(deps.portal, deps.holderProof);

  return {
    'accessLog.recent': guarded(async (args, ctx): Promise<ServiceOutcome> => {
      const store = deps.store;
      if (!store) return { outcome: 'unavailable' };
      const requestNumber = args.requestNumber ?? '';
      if (!requestNumber) return shown(await store.list(await accessLogHolderKey(piiHashKey, ctx.msisdn), ACCESS_LOG_SHOWN), {});
      const forget = { npi: '', birthDate: '' };
      if (!isIdentityClaim(args.npi, args.birthDate)) return { outcome: 'denied', values: forget };
      const proof = await proveIdentity(requestNumber, args.npi ?? '', args.birthDate ?? '', ctx);
      if (proof === 'denied') return { outcome: 'denied', values: forget };
      if (proof !== 'proved') return { outcome: 'locked', values: { ...forget, retryMinutes: proof.lockedMinutes } };
      const request = await deps.portal.findRequest(requestNumber, portalCallOf(ctx));
      if (!request) return { outcome: 'denied', values: forget };
      // The proof is for this request: its lookups only, not the other requests filed with that number.
      const all = await store.list(await accessLogHolderKey(piiHashKey, request.holderMsisdn));
      return shown(all.filter((entry) => entry.subject === requestNumber).slice(-ACCESS_LOG_SHOWN), forget);
    }),
  };
}

function shown(entries: readonly ChainedEntry[], values: Record<string, string>): ServiceOutcome {
  if (entries.length === 0) return { outcome: 'none', values };
  return { outcome: 'ok', values: { ...values, entries: formatAccessEntries(entries), count: entries.length } };
}

/**
 * One line per lookup, newest first, GSM-7 only (a USSD screen and an SMS both):
 * `03/12 14:05 USSD 0197****01 PS00373-240001`, Benin time, the caller as masked in the entry
 * without the country code.
 */
export function formatAccessEntries(entries: readonly ChainedEntry[]): string {
  return [...entries]
    .reverse()
    .map((entry) => {
      const local = new Date(Date.parse(entry.at) + BENIN_UTC_OFFSET_MS).toISOString();
      const when = `${local.slice(8, 10)}/${local.slice(5, 7)} ${local.slice(11, 16)}`;
      return `${when} ${entry.channel.toUpperCase()} ${entry.caller.replace(/^\+229/, '')} ${entry.subject}`;
    })
    .join('\n');
}
