import { LANGUAGES, type Language } from '../engine/schema.js';
import type { Logger } from '../observability/logger.js';
import type { PreferenceStore } from '../sessions/port.js';
import type { SmsOutbox } from '../sms/outbox.js';
import { renderPaymentSms } from '../sms/templates.js';
import { reference, type Payment } from './payment.js';

export type ReceiptOutcome = 'succeeded' | 'failed';

/** Tells the payer (and the phone that started it for someone else) how a payment ended. */
export type ReceiptSender = (payment: Payment, outcome: ReceiptOutcome) => Promise<void>;

export interface ReceiptDeps {
  sms: SmsOutbox;
  /**
   * Each recipient's language, as they chose it (SMS `LANGUE EN`, the USSD menu); French when
   * there is none, or when the store cannot say.
   */
  preferences?: Pick<PreferenceStore, 'getLanguage'>;
  logger: Logger;
}

/** The text of a receipt, from `PAYMENT_SMS_TEMPLATES`. */
export function receiptText(payment: Payment, outcome: ReceiptOutcome, language: Language): string {
  return renderPaymentSms(outcome === 'succeeded' ? 'payment_received' : 'payment_failed', language, {
    amountXof: payment.amountXof,
    requestNumber: payment.requestNumber,
    reference: reference(payment.id),
    providerTransactionId: payment.providerTransactionId ?? '',
  });
}

/**
 * The SMS receipt of a payment, keyed by payment id (`receipt:<id>`), so a replayed outcome never
 * sends a second one; each recipient reads it in their own language.
 */
export function createReceiptSender(deps: ReceiptDeps): ReceiptSender {
  async function languageOf(msisdn: string): Promise<Language> {
    if (!deps.preferences) return 'fr';
    try {
      const stored = await deps.preferences.getLanguage(msisdn);
      return stored !== null && (LANGUAGES as readonly string[]).includes(stored) ? (stored as Language) : 'fr';
    } catch (error) {
      // A receipt in French beats none: a failure's receipt is sent by the one move that applied
      // it, and would not be sent again by a retry.
      deps.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'receipt language unavailable: sent in French');
      return 'fr';
    }
  }

  return async function sendReceipt(payment, outcome) {
    const text = receiptText(payment, outcome, await languageOf(payment.payerMsisdn));
    await deps.sms.enqueue({ to: payment.payerMsisdn, text, idempotencyKey: `receipt:${payment.id}`, purpose: 'payment-receipt' });
    // The phone that started it for someone else hears the outcome too.
    if (payment.initiatorMsisdn) {
      const initiatorText = receiptText(payment, outcome, await languageOf(payment.initiatorMsisdn));
      await deps.sms.enqueue({ to: payment.initiatorMsisdn, text: initiatorText, idempotencyKey: `receipt:${payment.id}:initiator`, purpose: 'payment-receipt' });
    }
  };
}
