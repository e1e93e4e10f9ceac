import { PermanentJobError, RetryLaterError, type JobQueue } from '../jobs/port.js';
import { measureText } from '../lib/gsm7.js';
import { maskMsisdn } from '../lib/mask.js';
import { normalizeMsisdn, operatorOf } from '../lib/msisdn.js';
import type { Logger } from '../observability/logger.js';
import type { SendRequest, SmsDispatcher } from '../sms/dispatcher.js';
import { PermanentSmsError } from '../sms/port.js';
import type { MessageStore, SmsMessage } from '../sms/store/port.js';
import type { PushOutcomeCode, UssdPushRoute } from './port.js';
import { quietHoursDelayMs } from './quiet-hours.js';

/** Default pushes per second per push route: the operators' USSD gateways take less than their SMSCs. */
export const DEFAULT_PUSH_RATE = 10;
/** One USSD screen: 160 GSM-7 characters (70 in UCS-2), the same budget as our menus' screens. */
const SCREEN_UNITS = { 'GSM-7': 160, 'UCS-2': 70 } as const;

export const pushQueueName = (route: string) => `ussd-push-${route}`;

export interface UssdPushServiceDeps {
  dispatcher: SmsDispatcher;
  store: MessageStore;
  queue: JobQueue;
  /** By name (`smpp-moov`, `mtn-madapi`). */
  routes: Readonly<Record<string, UssdPushRoute>>;
  /** Push route by operator (`MTN`, `MOOV`, `CELTIIS`) and optionally `default` (`USSD_PUSH_ROUTES`). */
  routing: Readonly<Record<string, string>>;
  /** Pushes started per second per route (`USSD_PUSH_RATES`; default 10). */
  ratePerSecond?: Readonly<Record<string, number>>;
  logger: Logger;
  /** The clock quiet hours are read on (tests inject one). */
  now?: () => number;
}

/**
 * Agencies' notifications asked as `channel: "ussd-push"`: the text is pushed to the handset's screen
 * (USSN) on the number's operator's push route, and goes as ONE SMS when the push is refused, fails
 * or is not confirmed in time. The notification is one SMS message record from the start (held, not
 * queued on its SMS route), so its idempotency key, opt-out check, status and history are the SMS
 * path's, and at most one SMS can leave: the push moves are claimed once (`waiting` → `pushing`),
 * the SMS is released only from `fallback`, and the SMS send itself is claimed once. Nothing is
 * pushed, and no fallback SMS leaves, between 21:00 and 07:00 Benin time: both wait for 07:00.
 */
export class UssdPushService {
  constructor(private readonly deps: UssdPushServiceDeps) {}

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /** The push route for a number, or undefined when its operator has none. */
  routeFor(e164: string): string | undefined {
    const operator = operatorOf(e164);
    const name = (operator && this.deps.routing[operator]) ?? this.deps.routing.default;
    return name && this.deps.routes[name] ? name : undefined;
  }

  /** Like `SmsDispatcher.send`, pushing first. `created` is false for a known idempotency key: nothing new happens. */
  async send(request: Omit<SendRequest, 'holdForPush'>): Promise<{ message: SmsMessage; created: boolean }> {
    const number = normalizeMsisdn(request.to);
    if (!number.ok) throw new PermanentSmsError(`not a Benin number: ${number.reason}`);
    const route = this.routeFor(number.e164);
    const delayMs = quietHoursDelayMs(this.now());
    const notBefore = delayMs > 0 ? new Date(this.now() + delayMs).toISOString() : undefined;
    const { message, created } = await this.deps.dispatcher.send({ ...request, holdForPush: { route: route ?? 'none', ...(notBefore ? { notBefore } : {}) } });
    // Opted out (failed at creation) or a repeat: nothing to push.
    if (!created || message.status !== 'queued') return { message, created };
    const units = measureText(message.text).units;
    if (!route || units > SCREEN_UNITS[message.encoding]) {
      await this.fallBack(message, route ? 'too_long' : 'no_route', route ? `more than one USSD screen (${units} ${message.encoding} units): sent by SMS` : 'no USSD push route for this operator: sent by SMS');
      return { message: (await this.deps.store.get(message.id)) ?? message, created };
    }
    await this.deps.queue.enqueue(pushQueueName(route), { id: message.id }, { jobId: message.id, attempts: 3, backoffMs: 2000, ...(delayMs > 0 ? { delayMs } : {}) });
    return { message, created };
  }

  /** One worker per push route, at its agreed rate (the queue's limiter: with BullMQ, shared by every instance). */
  start(): void {
    for (const route of Object.values(this.deps.routes)) {
      this.deps.queue.process<{ id: string }>(pushQueueName(route.name), (job) => this.pushOne(route, job.id), {
        concurrency: 16,
        ratePerSecond: this.deps.ratePerSecond?.[route.name] ?? DEFAULT_PUSH_RATE,
      });
    }
  }

  /**
   * One push, at most once; its fallback SMS at most once. A run finding the push already claimed
   * (`pushing`: a crash or a stalled job) does not push again and falls back: the push may have shown,
   * and a citizen told twice is better than one told never. A run finding `fallback` re-releases the
   * SMS (a crash between the move and the release), which the SMS claim keeps to one.
   */
  async pushOne(route: UssdPushRoute, id: string): Promise<void> {
    const message = await this.deps.store.get(id);
    if (!message?.push || message.status !== 'queued') return;
    const log = { id, route: route.name, to: maskMsisdn(message.to) };
    if (message.push.phase === 'fallback') return this.deps.dispatcher.releaseHeld(id, quietHoursDelayMs(this.now()));
    if (message.push.phase === 'pushing') return this.fallBack(message, 'interrupted', 'a previous run claimed the push and did not finish: sent by SMS, not pushed again');
    if (message.push.phase !== 'waiting') return;
    // A job that waited past 21:00 (a backlog, a retry): the whole route waits for the morning.
    const quiet = quietHoursDelayMs(this.now());
    if (quiet > 0) throw new RetryLaterError(quiet);
    const claim = crypto.randomUUID();
    const claimed = await this.deps.store.transition(id, { push: { expect: 'waiting', phase: 'pushing', claim }, detail: `pushing on ${route.name}` });
    if (claimed?.push?.phase !== 'pushing' || claimed.push.claim !== claim) return; // another run has it
    const outcome = await route.push({ id, to: message.to, text: message.text, encoding: message.encoding }).catch((error: unknown) => ({ kind: 'failed' as const, detail: error instanceof Error ? error.message : String(error) }));
    if (outcome.kind === 'confirmed') {
      await this.deps.store.transition(id, { push: { expect: 'pushing', phase: 'confirmed', outcome: 'confirmed' }, status: 'delivered', detail: `USSD push confirmed on ${route.name}: ${outcome.detail}` });
      this.deps.logger.info(log, 'USSD push confirmed');
      return;
    }
    this.deps.logger.info({ ...log, outcome: outcome.kind }, 'USSD push not confirmed: falling back to SMS');
    await this.fallBack(claimed, outcome.kind, `USSD push ${outcome.kind} on ${route.name}: ${outcome.detail}; sent by SMS`);
  }

  private async fallBack(message: SmsMessage, outcome: PushOutcomeCode, detail: string): Promise<void> {
    const phase = message.push?.phase;
    if (phase !== 'waiting' && phase !== 'pushing') throw new PermanentJobError(`push of ${message.id} is ${phase ?? 'absent'}`);
    const quiet = quietHoursDelayMs(this.now());
    const after = quiet > 0 ? ` at ${new Date(this.now() + quiet).toISOString()} (quiet hours)` : '';
    const moved = await this.deps.store.transition(message.id, { push: { expect: phase, phase: 'fallback', outcome }, detail: detail + after });
    // Whoever moved it (this run, or a concurrent one) releases; the release is idempotent.
    if (moved?.push?.phase === 'fallback') await this.deps.dispatcher.releaseHeld(message.id, quiet);
  }
}
