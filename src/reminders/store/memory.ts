import { capVerdict, type FrequencyCap } from '../schedule.js';
import { claimRetentionMs, IDEMPOTENCY_TTL_MS, STATE_TTL_MS, type RecordedEvent, type ReminderStore, type RequestState, type SendClaim, type StatusEvent } from './port.js';

/** In-process reminder state for the embedded default and tests; lost on restart. */
export class MemoryReminderStore implements ReminderStore {
  private readonly states = new Map<string, { state: RequestState; expiresAt: number }>();
  private readonly keys = new Map<string, number>();
  private readonly sent = new Map<string, Map<string, number>>();

  constructor(private readonly now: () => number = Date.now) {}

  async recordStatus(event: StatusEvent): Promise<RecordedEvent> {
    const id = `${event.agency}:${event.requestNumber}`;
    const now = this.now();
    const held = this.states.get(id);
    const current = held && held.expiresAt > now ? held.state : undefined;
    const idemKey = event.idempotencyKey === undefined ? undefined : `${id}:${event.idempotencyKey}`;
    if (idemKey !== undefined && (this.keys.get(idemKey) ?? 0) > now && current) return { outcome: 'duplicate', state: current };
    let outcome: RecordedEvent['outcome'];
    let state: RequestState;
    if (current && event.atMs < current.lastEventMs) {
      outcome = 'stale';
      state = current;
    } else if (current && current.status === event.status) {
      outcome = 'unchanged';
      state = { ...current, lastEventMs: event.atMs };
    } else {
      outcome = 'changed';
      state = {
        agency: event.agency,
        requestNumber: event.requestNumber,
        status: event.status,
        sinceMs: event.atMs,
        lastEventMs: event.atMs,
        to: event.to,
        ...(event.language ? { language: event.language } : {}),
        ...(event.amountXof !== undefined ? { amountXof: event.amountXof } : {}),
      };
    }
    this.states.set(id, { state, expiresAt: now + STATE_TTL_MS });
    if (idemKey !== undefined) this.keys.set(idemKey, now + IDEMPOTENCY_TTL_MS);
    return { outcome, state, ...(outcome === 'changed' && current ? { previous: current } : {}) };
  }

  async get(agency: string, requestNumber: string): Promise<RequestState | null> {
    const held = this.states.get(`${agency}:${requestNumber}`);
    return held && held.expiresAt > this.now() ? held.state : null;
  }

  async claimSend(msisdn: string, reminderKey: string, nowMs: number, caps: readonly FrequencyCap[]): Promise<SendClaim> {
    const retention = claimRetentionMs(caps);
    const sent = this.sent.get(msisdn) ?? new Map<string, number>();
    for (const [key, at] of sent) if (at <= nowMs - retention) sent.delete(key);
    if (sent.has(reminderKey)) return 'already';
    if (!capVerdict([...sent.values()], nowMs, caps).allowed) return 'capped';
    sent.set(reminderKey, nowMs);
    this.sent.set(msisdn, sent);
    return 'claimed';
  }
}
