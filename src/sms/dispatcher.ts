import { PermanentJobError, RetryLaterError, type JobQueue } from '../jobs/port.js';
import type { Logger } from '../observability/logger.js';
import { normalizeMsisdn, operatorOf } from '../lib/msisdn.js';
import { maskMsisdn } from '../lib/mask.js';
import { unrefTimer } from '../lib/timers.js';
import type { PreferenceStore } from '../sessions/port.js';
import { FINAL_STATUSES, type MessageStore, type SmsMessage } from './store/port.js';
import { prepareSms } from './text.js';
import type { OutboundSms, SmsOutbox } from './outbox.js';
import { recordAcceptedPart } from './delivery-reports.js';
import { PermanentSmsError, SmsFateUnknownError, SmsRouteConfigurationError, SmsTooLongError, ThrottledSmsError, type SmsRoute } from './port.js';

/** Default most segments one message may cost: a notification is a sentence or two, not a letter. */
export const DEFAULT_MAX_SEGMENTS = 6;
/** Default validity period (`SMS_VALIDITY_HOURS`): an SMSC stops trying about then, so will we. */
export const DEFAULT_VALIDITY_HOURS = 48;

export interface SmsDispatcherDeps {
  store: MessageStore;
  preferences: PreferenceStore;
  queue: JobQueue;
  routes: Readonly<Record<string, SmsRoute>>;
  /** Route name by operator (`MTN`, `MOOV`, `CELTIIS`), and `default`. */
  routing: Readonly<Record<string, string>>;
  /** Rewrite French to GSM-7 where possible (one segment instead of two or three). */
  transliterate: boolean;
  /** Agreed throughput per route, messages per second. */
  ratePerSecond?: Readonly<Record<string, number>>;
  logger: Logger;
  /** Tries per message on transient errors (default 6, exponential back-off from 2 s). */
  attempts?: number;
  /** Longer texts are refused before they are queued (`SMS_MAX_SEGMENTS`, default 6). */
  maxSegments?: number;
  /** A message without a final receipt this long after its submit is `expired` (default 48). */
  validityHours?: number;
  /** How often overdue messages are looked for (default 60 s). */
  expirySweepMs?: number;
}

export interface SendRequest extends OutboundSms {
  requestedBy?: string;
  /**
   * Held for a USSD push on this push route (`src/ussd-push/`): the message is recorded with its
   * push `waiting` and not queued on its SMS route; `releaseHeld` queues it when the push falls back.
   */
  holdForPush?: { route: string; notBefore?: string };
  /**
   * The recipient's opt-out as the caller already read it from this dispatcher's preference store
   * (the notification route reads it beside the citizen's language: one Redis round trip for both,
   * issue 18 part 3); absent: read here. Ignored for replies, which are sent either way.
   */
  optedOut?: boolean;
}

export const smsQueueName = (route: string) => `sms-${route}`;

/**
 * The outbound SMS service: the `SmsOutbox` the rest of Guichet hands messages to. Deduplicates by
 * idempotency key, honours opt-outs (replies to the citizen's own commands excepted), measures and
 * transliterates, records the message, and queues it on its route's queue.
 */
export class SmsDispatcher implements SmsOutbox {
  private sweepTimer: ReturnType<typeof setInterval> | undefined;
  constructor(private readonly deps: SmsDispatcherDeps) {}

  async enqueue(message: OutboundSms): Promise<{ messageId: string }> {
    const { message: sent } = await this.send(message);
    return { messageId: sent.id };
  }

  /**
   * `created` is false when the idempotency key was already used: nothing new is sent. Throws
   * `SmsTooLongError` for a text over `maxSegments`: cutting it downstream and reporting it
   * delivered would tell the agency a citizen read what they never received.
   */
  async send(request: SendRequest): Promise<{ message: SmsMessage; created: boolean }> {
    const number = normalizeMsisdn(request.to);
    if (!number.ok) throw new PermanentSmsError(`not a Benin number: ${number.reason}`);
    const prepared = prepareSms(request.text, { transliterate: this.deps.transliterate });
    const maxSegments = this.deps.maxSegments ?? DEFAULT_MAX_SEGMENTS;
    if (prepared.segments > maxSegments) throw new SmsTooLongError(prepared.segments, maxSegments);
    // A reply leaves on the route its command came in on, from the number it was sent to. Where
    // that route cannot send, the operator's route sends it under its own sender: another route's
    // short code would be refused as a sender we do not own.
    const sameRoute = request.viaRoute !== undefined && this.deps.routes[request.viaRoute] !== undefined;
    const route = sameRoute ? request.viaRoute! : this.routeFor(number.e164);
    const from = request.viaRoute === undefined || sameRoute ? request.from : undefined;
    const now = new Date().toISOString();
    const optedOut = request.purpose !== 'reply' && (request.optedOut ?? (await this.deps.preferences.isOptedOut(number.e164)));
    const message: SmsMessage = {
      id: crypto.randomUUID(),
      to: number.e164,
      ...(from ? { from } : {}),
      text: prepared.text,
      encoding: prepared.encoding,
      segments: prepared.segments,
      route,
      purpose: request.purpose,
      idempotencyKey: request.idempotencyKey,
      requestedBy: request.requestedBy ?? 'guichet',
      status: optedOut ? 'failed' : 'queued',
      ...(request.holdForPush
        ? { channel: 'ussd-push' as const, push: { route: request.holdForPush.route, phase: 'waiting' as const, ...(request.holdForPush.notBefore ? { notBefore: request.holdForPush.notBefore } : {}) } }
        : {}),
      createdAt: now,
      updatedAt: now,
      history: [
        {
          at: now,
          status: optedOut ? 'failed' : 'queued',
          detail: optedOut ? 'opted out: not sent' : request.holdForPush ? `held for a USSD push on ${request.holdForPush.route}; ${route} sends the SMS if the push falls back` : `queued on ${route}`,
        },
      ],
    };
    const { created, message: stored } = await this.deps.store.create(message);
    // A repeat of a message still queued and not held is queued again: the first call may have
    // stored it and then failed to queue it (Redis unavailable, answered 503), and its sender's
    // retry is the only thing that can still get it sent. The job id is the message's: a job
    // already there is not added twice, and the send itself is claimed once.
    const queueIt = created ? !optedOut && !request.holdForPush : stored.status === 'queued' && stored.channel !== 'ussd-push';
    if (queueIt) {
      await this.deps.queue.enqueue(smsQueueName(stored.route), { id: stored.id }, { jobId: stored.id, attempts: this.deps.attempts ?? 6, backoffMs: 2000 });
    }
    return { message: stored, created };
  }

  /**
   * Queues a message held for a USSD push on its SMS route, once its push fell back. Idempotent:
   * the job id is the message's, and the send itself is claimed once (`queued` → `sending`), so a
   * second release (a re-run after a crash) never makes a second SMS. `delayMs`: quiet hours.
   */
  async releaseHeld(id: string, delayMs = 0): Promise<void> {
    const message = await this.deps.store.get(id);
    if (!message || message.status !== 'queued' || message.push?.phase !== 'fallback') return;
    await this.deps.queue.enqueue(smsQueueName(message.route), { id }, { jobId: id, attempts: this.deps.attempts ?? 6, backoffMs: 2000, ...(delayMs > 0 ? { delayMs } : {}) });
  }

  /** Starts one worker per route, each at its route's agreed rate, and the expiry sweep. */
  start(): void {
    this.sweepTimer = setInterval(() => {
      this.expireOverdue().catch((error: unknown) => this.deps.logger.warn({ reason: error instanceof Error ? error.message : String(error) }, 'SMS expiry sweep failed, next round retries'));
    }, this.deps.expirySweepMs ?? 60_000);
    unrefTimer(this.sweepTimer);
    for (const route of Object.values(this.deps.routes)) {
      const rate = this.deps.ratePerSecond?.[route.name];
      this.deps.queue.process<{ id: string }>(smsQueueName(route.name), (job, ctx) => this.deliver(route, job.id, ctx.attempt), {
        concurrency: 8,
        ...(rate ? { ratePerSecond: rate } : {}),
      });
    }
  }

  stop(): void {
    clearInterval(this.sweepTimer);
  }

  /**
   * Messages still `sending`, `unknown` or `sent` past their validity period become `expired`: no
   * receipt will come any more (the SMSC has given up too), and `sent` must not stay forever.
   */
  async expireOverdue(now = new Date()): Promise<number> {
    let expired = 0;
    for (;;) {
      const ids = await this.deps.store.overdue(now, 500);
      for (const id of ids) {
        const message = await this.deps.store.transition(id, { status: 'expired', detail: 'no final delivery receipt within the validity period (SMS_VALIDITY_HOURS)' });
        if (message?.status === 'expired') expired++;
      }
      if (ids.length < 500) return expired;
    }
  }

  /**
   * One send, at most once. The claim (`sending`) is recorded before the submit leaves: a re-run
   * that finds it (a stalled job after a crash, a retry after the store failed behind an accepted
   * submit) does not send again but settles the message as `unknown` (or `sent`, when every part's
   * acceptance was recorded). A submit whose fate is unknown is never retried; a refusal the
   * route is sure of gives the claim back and the job retries as before.
   */
  private async deliver(route: SmsRoute, id: string, attempt: number): Promise<void> {
    const message = await this.deps.store.get(id);
    if (!message) return;
    const log = { id, route: route.name, to: maskMsisdn(message.to), attempt };
    if (message.status === 'sending') return this.settleUncertain(message, 'a previous run claimed it and did not finish: its submit may have left', log);
    if (message.status !== 'queued') return;
    // Held for a USSD push that has not fallen back: the push decides whether an SMS goes at all.
    if (message.push && message.push.phase !== 'fallback') return;
    const claim = crypto.randomUUID();
    const expiresAt = new Date(Date.now() + (this.deps.validityHours ?? DEFAULT_VALIDITY_HOURS) * 3_600_000).toISOString();
    const claimed = await this.deps.store.transition(id, { expect: 'queued', status: 'sending', claim, expiresAt, detail: `submitting to ${route.name} (attempt ${attempt})` });
    if (claimed?.status !== 'sending' || claimed.claim !== claim) return; // another run has it
    let accepted = false;
    try {
      let reportedParts = false;
      // The last part accepted records the message `sent` with it: every part's acceptance is then
      // recorded, which is what `sent` means (and what a re-run's `settleUncertain` checks).
      const acceptedParts = new Set<number>();
      let sentRecorded = false;
      const { providerMessageId } = await route.send(
        { id, to: message.to, text: message.text, encoding: message.encoding, ...(message.from ? { from: message.from } : {}) },
        {
          onPartAccepted: async (part) => {
            reportedParts = true;
            accepted = true;
            acceptedParts.add(part.index);
            const last = acceptedParts.size >= part.count;
            await recordAcceptedPart(this.deps.store, id, route.name, part, `part ${part.index + 1}/${part.count} accepted by ${route.name}`, last);
            sentRecorded ||= last;
          },
        },
      );
      accepted = true;
      // A route that does not report parts carries the message under one id.
      if (!reportedParts) {
        await recordAcceptedPart(this.deps.store, id, route.name, { providerMessageId, index: 0, count: 1 }, `accepted by ${route.name} (id ${providerMessageId})`, true);
        sentRecorded = true;
      }
      if (!sentRecorded) await this.deps.store.transition(id, { status: 'sent', detail: `accepted by ${route.name}` });
      this.deps.logger.info({ ...log, providerMessageId }, 'SMS sent');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (accepted) {
        // The route took it and our store failed behind it: the claim stays `sending`, and the
        // retry settles it without sending again.
        this.deps.logger.error({ ...log, reason }, 'SMS accepted by the route but not recorded');
        throw error;
      }
      if (error instanceof SmsFateUnknownError) {
        const current = await this.deps.store.get(id);
        if (current) await this.settleUncertain(current, reason, log);
        return;
      }
      if (error instanceof PermanentSmsError) {
        await this.deps.store.transition(id, { status: 'failed', detail: reason });
        this.deps.logger.warn({ ...log, reason }, 'SMS failed');
        throw new PermanentJobError(reason);
      }
      // The route is sure nothing left: the claim is given back, and the next try may send.
      await this.deps.store.transition(id, { expect: 'sending', status: 'queued', detail: `not sent: ${reason}` });
      if (error instanceof SmsRouteConfigurationError) {
        // Nobody's number is at fault: the message waits, operations are told.
        this.deps.logger.error({ ...log, reason, alert: 'sms_route_configuration' }, 'SMS route refuses our configuration or account');
        throw new RetryLaterError(error.retryAfterMs);
      }
      if (error instanceof ThrottledSmsError) {
        this.deps.logger.warn({ ...log, reason }, 'SMS route throttled');
        throw new RetryLaterError(error.retryAfterMs);
      }
      if (attempt >= (this.deps.attempts ?? 6)) {
        await this.deps.store.transition(id, { status: 'failed', detail: reason });
        this.deps.logger.warn({ ...log, reason }, 'SMS failed');
        throw new PermanentJobError(reason);
      }
      this.deps.logger.warn({ ...log, reason }, 'SMS send failed, will retry');
      throw error;
    }
  }

  /**
   * A submit that may have left is never sent again. Every part recorded accepted: it is `sent`.
   * Otherwise `unknown`: a receipt that can find it still moves it on (Kannel's carry our id), and
   * the expiry sweep closes it after the validity period.
   */
  private async settleUncertain(message: SmsMessage, why: string, log: Record<string, unknown>): Promise<void> {
    const allAccepted = message.partCount !== undefined && (message.parts?.length ?? 0) >= message.partCount;
    if (allAccepted) {
      await this.deps.store.transition(message.id, { status: 'sent', detail: `every part was accepted before: ${why}` });
      return;
    }
    await this.deps.store.transition(message.id, { expect: 'sending', status: 'unknown', detail: `not sent again, fate unknown: ${why}` });
    this.deps.logger.warn({ ...log, reason: why, alert: 'sms_fate_unknown' }, 'SMS fate unknown: not sent again');
  }

  private routeFor(e164: string): string {
    const operator = operatorOf(e164);
    const name = (operator && this.deps.routing[operator]) ?? this.deps.routing.default;
    if (!name || !this.deps.routes[name]) throw new Error(`no SMS route for ${operator ?? 'this number'} (configure SMS_ROUTES)`);
    return name;
  }
}
