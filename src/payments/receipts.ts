import type { SmsOutbox } from '../sms/outbox.js';
import { reference, type Payment } from './payment.js';

export type ReceiptOutcome = 'succeeded' | 'failed';

/** Tells the payer (and the phone that started it for someone else) how a payment ended. */
export type ReceiptSender = (payment: Payment, outcome: ReceiptOutcome) => Promise<void>;

export interface ReceiptDeps {
  sms: SmsOutbox;
}

/**
 * The SMS receipt of a payment, keyed by payment id (`receipt:<id>`), so a replayed outcome never
 * sends a second one.
 */
export function createReceiptSender(deps: ReceiptDeps): ReceiptSender {
  return async function sendReceipt(payment, outcome) {
    const text =
      outcome === 'succeeded'
        ? `Paiement recu: ${payment.amountXof} FCFA pour la demande ${payment.requestNumber}. Ref ${reference(payment.id)}, transaction ${payment.providerTransactionId ?? ''}.`
        : `Paiement non abouti pour la demande ${payment.requestNumber} (ref ${reference(payment.id)}). Aucun montant preleve. Recomposez *123# pour reessayer.`;
    await deps.sms.enqueue({ to: payment.payerMsisdn, text, idempotencyKey: `receipt:${payment.id}`, purpose: 'payment-receipt' });
    // The phone that started it for someone else hears the outcome too.
    if (payment.initiatorMsisdn) {
      await deps.sms.enqueue({ to: payment.initiatorMsisdn, text, idempotencyKey: `receipt:${payment.id}:initiator`, purpose: 'payment-receipt' });
    }
  };
}
