/**
 * What a payment id looks like. Guichet makes its ids with `crypto.randomUUID()` (MoMo requires a
 * UUID v4 as `X-Reference-Id`, and the same id is KKiaPay's `partnerId` and FedaPay's
 * `custom_metadata.payment_id`), so anything a callback names that is not a UUID is not ours and
 * is refused before any store access.
 */
const PAYMENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isPaymentId(value: unknown): value is string {
  return typeof value === 'string' && PAYMENT_ID.test(value);
}

/**
 * What a store accepts as a name inside its own keys (payment ids, request numbers): letters,
 * digits, `-` and `_`, never the `:` that separates key parts, so an outside string can never
 * name another key (`open`, `day:…`, `<id>:h`). Wider than `isPaymentId` so tests and tools may use
 * readable ids; the stores treat anything else as absent.
 */
const KEY_PART = /^[A-Za-z0-9_-]{1,128}$/;

export function isSafeKeyPart(value: unknown): value is string {
  return typeof value === 'string' && KEY_PART.test(value);
}
