import { hmacHex } from '../lib/secrets.js';
import { maskMsisdn } from '../lib/mask.js';
import { silentLogger, type Logger } from '../observability/logger.js';
import type { PortalCall, PortalClient, PortalRequest } from '../portal/port.js';
import type { AccessChannel, AccessLogStore } from './port.js';

/**
 * The holder's key in the access log: a keyed hash of the number the request was filed with, so
 * the store never holds a number in clear and the same holder has the same key on every instance
 * (`PII_HASH_KEY`). The holder rule for the log is the tracking one: that number sees it.
 */
export function accessLogHolderKey(piiHashKey: string, holderMsisdn: string): Promise<string> {
  return hmacHex(piiHashKey, `accesslog:${holderMsisdn}`);
}

export interface AccessRecorderOptions {
  store: AccessLogStore;
  /** Keys the holder keys (`PII_HASH_KEY`; the built-in one in the embedded default). */
  piiHashKey: string;
  /**
   * The runtime's `accessLogHolderKey` when faster than WebCrypto's (Node: `nodeAccessLogHolderKey`),
   * with the same digests: the export route and the CLI compute them with WebCrypto.
   */
  holderKey?: (holderMsisdn: string) => Promise<string>;
  logger?: Logger;
  now?: () => number;
  /**
   * The same caller looking up the same request on the same channel again within this is the same
   * consultation (a USSD walk asks the portal up to three times: lookup, NPI proof, fee), one entry.
   */
  sameLookupWindowMs?: number;
  /**
   * How long a lookup waits for its entry to be written before answering anyway (the write goes on
   * in the background): a slow log never makes a citizen's screen late.
   */
  appendBudgetMs?: number;
}

/** What the recorder did since the start, for `/metrics`. */
export interface AccessRecorderCounts {
  appended: number;
  /** Appends that failed (store away, lost races): the lookup was answered all the same. */
  failed: number;
}

export interface RecordingPortal extends PortalClient {
  counts(): AccessRecorderCounts;
  /** Resolves once every append started so far has settled, or after `timeoutMs` (shutdown must not hang on a store that never answers). */
  settled(timeoutMs?: number): Promise<void>;
}

export const SAME_LOOKUP_WINDOW_MS = 10 * 60_000;
/** The hop's Redis budget (`REDIS_COMMAND_BUDGET_MS`) for one write. */
export const ACCESS_APPEND_BUDGET_MS = 300;
/** Callers remembered for `sameLookupWindowMs`, at most (oldest forgotten first). */
const REMEMBERED_LOOKUPS = 10_000;

/**
 * Wraps the portal port so that every lookup of a request through Guichet is written to its
 * holder's access log: the one seam every menu service, the SMS keywords and the deferred answers
 * already go through. A lookup is a `findRequest` the portal answered with a request (every fee
 * lookup asks it too, so `feeDue` adds nothing), made for a caller (`PortalCall.userId`) on a
 * channel (`PortalCall.channel`). It is written whether or not Guichet then showed the status: the
 * portal did hand that caller's question the holder's file, and the holder learns that someone
 * else tried their request number.
 *
 * A failed append is logged (without the number) and counted, never thrown: the citizen's lookup
 * is answered all the same.
 */
export function withAccessLog(portal: PortalClient, options: AccessRecorderOptions): RecordingPortal {
  const logger = options.logger ?? silentLogger;
  const now = options.now ?? Date.now;
  const windowMs = options.sameLookupWindowMs ?? SAME_LOOKUP_WINDOW_MS;
  const budgetMs = options.appendBudgetMs ?? ACCESS_APPEND_BUDGET_MS;
  const holderKeyOf = options.holderKey ?? ((msisdn: string) => accessLogHolderKey(options.piiHashKey, msisdn));
  const counts: AccessRecorderCounts = { appended: 0, failed: 0 };
  const recent = new Map<string, number>();
  const inFlight = new Set<Promise<void>>();

  /**
   * Past the cap, the lookups older than the window go; if most are recent (a burst), all go: at
   * worst a caller's next lookup is one entry more. One sweep per many lookups, not one per lookup
   * (deleting a Map's oldest key one at a time made every lookup slower as the holes piled up).
   */
  function forgetOld(at: number): void {
    for (const [key, seenAt] of recent) if (at - seenAt >= windowMs) recent.delete(key);
    if (recent.size > REMEMBERED_LOOKUPS / 2) recent.clear();
  }

  async function record(request: PortalRequest, call: PortalCall | undefined): Promise<void> {
    // No channel: a program asked (not a citizen's handset), written as `api`.
    const channel: AccessChannel = call?.channel ?? 'api';
    const caller = call?.userId ? maskMsisdn(call.userId) : 'unknown';
    const holderKey = await holderKeyOf(request.holderMsisdn);
    const at = now();
    const seenKey = `${holderKey}|${channel}|${call?.userId ?? ''}|${request.requestNumber}`;
    const seenAt = recent.get(seenKey);
    if (seenAt !== undefined && at - seenAt < windowMs) return;
    recent.set(seenKey, at);
    if (recent.size > REMEMBERED_LOOKUPS) forgetOld(at);
    const write = options.store
      .append(holderKey, { channel, caller, agency: request.serviceCode, at: new Date(at).toISOString(), subject: request.requestNumber })
      .then(
        () => void counts.appended++,
        (error: unknown) => {
          counts.failed++;
          // Forgotten, so the next lookup tries again.
          recent.delete(seenKey);
          logger.warn({ channel, subject: request.requestNumber, err: error instanceof Error ? error.message : String(error) }, 'access log entry not written: lookup answered anyway');
        },
      );
    inFlight.add(write);
    void write.finally(() => inFlight.delete(write));
    await settledWithin(write, budgetMs);
  }

  return {
    async findRequest(requestNumber, call) {
      const request = await portal.findRequest(requestNumber, call);
      if (request) await record(request, call).catch(() => undefined);
      return request;
    },
    feeDue: (requestNumber, call) => portal.feeDue(requestNumber, call),
    verifyIdentity: (requestNumber, claim, call) => portal.verifyIdentity(requestNumber, claim, call),
    recordPayment: (notice, call) => portal.recordPayment(notice, call),
    counts: () => ({ ...counts }),
    async settled(timeoutMs = 2_000) {
      await settledWithin(Promise.all([...inFlight]), timeoutMs);
    },
  };
}

/** Waits for `work` (which never rejects here) or `ms`, whichever comes first; the work goes on either way. */
async function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
