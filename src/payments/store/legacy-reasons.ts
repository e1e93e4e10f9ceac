import { isReasonCode, type PaymentState, type ReasonCode, type TransitionRecord } from '../payment.js';

/** Where the payment service's prose said an answer came from, before reason codes. */
const SOURCE = '(?:request|status|reconciliation|callback verified|callback hint)';
const sourced = (rest: string) => new RegExp(`^${SOURCE}: ${rest}$`);

/**
 * The exact prose the payment service wrote before history entries carried a code, per target
 * state, first match wins. A currency mismatch was written as an amount mismatch then, so it is
 * read as one (the report listed both as `amount_mismatch` anyway).
 */
const LEGACY_PROSE: Readonly<Record<PaymentState, readonly (readonly [RegExp, ReasonCode])[]>> = {
  created: [],
  pending: [
    [/^request: sending, never resent$/, 'push_sent_once'],
    [sourced('pending'), 'provider_pending'],
    [sourced('answered'), 'provider_answered'],
  ],
  succeeded: [
    [/^late success: /, 'late_success'],
    [sourced('succeeded'), 'provider_succeeded'],
  ],
  failed: [
    [/^request: not sent \(.*\)$/s, 'not_sent'],
    [sourced('amount mismatch, provider reported .* \\(reconcile\\)'), 'amount_mismatch'],
    [sourced('[\\s\\S]*'), 'provider_failed'],
  ],
  expired: [
    [/^no answer before expiry$/, 'expired_unanswered'],
    [/^reconciliation: past expiry$/, 'expired_overdue'],
  ],
};

/**
 * What a history entry stored before reason codes meant (Redis keeps a finished payment 400
 * days), read from the prose the payment service wrote then; `undefined` for any other prose
 * (an entry written by hand or by a test). Only the stores call this, and only for an entry that
 * has no code: no other module reads history text.
 */
export function legacyReasonCode(to: PaymentState, reason: string): ReasonCode | undefined {
  return LEGACY_PROSE[to]?.find(([prose]) => prose.test(reason))?.[1];
}

/** A history entry as a store kept it: its code if it has a known one, else the legacy reading. */
export function readTransitionRecord(entry: Omit<TransitionRecord, 'code'> & { code?: unknown }): TransitionRecord {
  const { code, ...record } = entry;
  const known = isReasonCode(code) ? code : legacyReasonCode(record.to, record.reason);
  return known ? { ...record, code: known } : record;
}
