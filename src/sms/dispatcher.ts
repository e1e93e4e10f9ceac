import { PermanentJobError, RetryLaterError, type JobQueue } from '../jobs/job-queue.js';
import type { Logger } from '../observability/logger.js';
import { normalizeMsisdn, operatorOf } from '../phone/msisdn.js';
import { maskMsisdn } from '../privacy/mask.js';
import type { PreferenceStore } from '../../sessions/session-store.js';
import { FINAL_STATUSES, type MessageStore, type SmsMessage } from './message-store.js';
import { prepareSms } from './sms-text.js';
import type { OutboundSms, SmsOutbox } from './sms-outbox.js';
import { recordAcceptedPart } from './delivery-reports.js';
import { PermanentSmsError, SmsRouteConfigurationError, SmsTooLongError, ThrottledSmsError, type SmsRoute } from './sms-route.js';

/** Default most segments one message may cost: a notification is a sentence or two, not a letter. */
export const DEFAULT_MAX_SEGMENTS = 6;

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
}

export interface SendRequest extends OutboundSms {
  requestedBy?: string;
}

export const smsQueueName = (route: string) => `sms-${route}`;

/**
 * The outbound SMS service: the `SmsOutbox` the rest of Guichet hands messages to. Deduplicates by
 * idempotency key, honours opt-outs (replies to the citizen's own commands excepted), measures and
 * transliterates, records the message, and queues it on its route's queue.
 */
export class SmsDispatcher implements SmsOutbox {
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
    const optedOut = request.purpose !== 'reply' && (await this.deps.preferences.isOptedOut(number.e164));
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
      createdAt: now,
      updatedAt: now,
      history: [{ at: now, status: optedOut ? 'failed' : 'queued', detail: optedOut ? 'opted out: not sent' : `queued on ${route}` }],
    };
    const { created, message: stored } = await this.deps.store.create(message);
    if (created && !optedOut) {
      await this.deps.queue.enqueue(smsQueueName(route), { id: stored.id }, { jobId: stored.id, attempts: this.deps.attempts ?? 6, backoffMs: 2000 });
    }
    return { message: stored, created };
  }

  /** Starts one worker per route, each at its route's agreed rate. */
  start(): void {
    for (const route of Object.values(this.deps.routes)) {
      const rate = this.deps.ratePerSecond?.[route.name];
      this.deps.queue.process<{ id: string }>(smsQueueName(route.name), (job, ctx) => this.deliver(route, job.id, ctx.attempt), {
        concurrency: 8,
        ...(rate ? { ratePerSecond: rate } : {}),
      });
    }
  }

  private async deliver(route: SmsRoute, id: string, attempt: number): Promise<void> {
    const message = await this.deps.store.get(id);
    if (!message || message.status !== 'queued' || FINAL_STATUSES.includes(message.status)) return;
    const log = { id, route: route.name, to: maskMsisdn(message.to), attempt };
    try {
      let reportedParts = false;
      const { providerMessageId } = await route.send(
        { id, to: message.to, text: message.text, encoding: message.encoding, ...(message.from ? { from: message.from } : {}) },
        {
          onPartAccepted: async (part) => {
            reportedParts = true;
            await recordAcceptedPart(this.deps.store, id, route.name, part, `part ${part.index + 1}/${part.count} accepted by ${route.name}`);
          },
        },
      );
      // A route that does not report parts carries the message under one id.
      if (!reportedParts) await recordAcceptedPart(this.deps.store, id, route.name, { providerMessageId, index: 0, count: 1 }, `${route.name} id ${providerMessageId}`);
      await this.deps.store.transition(id, { status: 'sent', detail: `accepted by ${route.name}` });
      this.deps.logger.info({ ...log, providerMessageId }, 'SMS sent');
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      if (error instanceof SmsRouteConfigurationError) {
        // Nobody's number is at fault: the message waits, operations are told.
        this.deps.logger.error({ ...log, reason, alert: 'sms_route_configuration' }, 'SMS route refuses our configuration or account');
        throw new RetryLaterError(error.retryAfterMs);
      }
      if (error instanceof ThrottledSmsError) {
        this.deps.logger.warn({ ...log, reason }, 'SMS route throttled');
        throw new RetryLaterError(error.retryAfterMs);
      }
      const last = error instanceof PermanentSmsError || attempt >= (this.deps.attempts ?? 6);
      if (last) {
        await this.deps.store.transition(id, { status: 'failed', detail: reason });
        this.deps.logger.warn({ ...log, reason }, 'SMS failed');
        throw new PermanentJobError(reason);
      }
      this.deps.logger.warn({ ...log, reason }, 'SMS send failed, will retry');
      throw error;
    }
  }

  private routeFor(e164: string): string {
    const operator = operatorOf(e164);
    const name = (operator && this.deps.routing[operator]) ?? this.deps.routing.default;
    if (!name || !this.deps.routes[name]) throw new Error(`no SMS route for ${operator ?? 'this number'} (configure SMS_ROUTES)`);
    return name;
  }
}
