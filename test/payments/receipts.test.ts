import { describe, expect, it } from 'vitest';
import { MemoryJobQueue } from '../../src/jobs/memory.js';
import { measureText } from '../../src/lib/gsm7.js';
import { createEmbeddedPayments } from '../../src/payments/embedded-payments.js';
import type { Payment } from '../../src/payments/payment.js';
import { createReceiptSender, receiptText } from '../../src/payments/receipts.js';
import { MemoryPaymentStore } from '../../src/payments/store/memory.js';
import { createDemoPortal, DEMO_MSISDN } from '../../src/portal/demo.js';
import { MemorySessionStore } from '../../src/sessions/memory.js';
import type { OutboundSms } from '../../src/sms/outbox.js';
import { PAYMENT_SMS_TEMPLATES, TEMPLATE_NAMES } from '../../src/sms/templates.js';
import { createSandboxPaymentProvider, sandboxTransactionId } from '../../providers/sandbox-payment/payment.js';
import type { Logger } from '../../src/observability/logger.js';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (fields: Record<string, unknown>, message: string) => void lines.push(`${message} ${JSON.stringify(fields)}`);
  return { lines, debug: record, info: record, warn: record, error: record };
}

const payment: Payment = {
  id: '3f2a9c1e-8b7d-4e6f-a5c4-0123456789ab',
  requestNumber: 'PS00373-240002',
  amountXof: 1900,
  payerMsisdn: '+2290195123456',
  initiatorMsisdn: DEMO_MSISDN,
  operator: 'MTN',
  provider: 'mtn-momo',
  createdAt: '2026-11-23T09:00:00.000Z',
  expiresAt: '2026-11-23T09:10:00.000Z',
  state: 'succeeded',
  providerTransactionId: '2183946451',
  needsReconciliation: false,
  history: [],
};

describe('payment receipts: SMS templates in the citizen language (issue 13 item 5)', () => {
  it.each([
    ['succeeded', 'fr', 'Paiement recu: 1900 FCFA pour la demande PS00373-240002. Ref 3F2A9C1E, transaction 2183946451.'],
    ['succeeded', 'en', 'Payment received: 1900 XOF for request PS00373-240002. Ref 3F2A9C1E, transaction 2183946451.'],
    ['failed', 'fr', 'Paiement non abouti pour la demande PS00373-240002 (ref 3F2A9C1E). Aucun montant preleve. Recomposez *123# pour reessayer.'],
    ['failed', 'en', 'Payment not completed for request PS00373-240002 (ref 3F2A9C1E). Nothing was charged. Dial *123# again to retry.'],
  ] as const)('%s, %s', (outcome, language, text) => {
    expect(receiptText(payment, outcome, language)).toBe(text);
  });

  it('every payment template is GSM-7 and one segment, with a 30 000 XOF fee and a 36-character transaction id', () => {
    const longest: Payment = { ...payment, amountXof: 30000, requestNumber: 'PS00373-240002-2026', providerTransactionId: crypto.randomUUID() };
    for (const outcome of ['succeeded', 'failed'] as const) {
      for (const language of ['fr', 'en'] as const) {
        const measured = measureText(receiptText(longest, outcome, language));
        expect(measured, `${outcome} ${language}`).toMatchObject({ encoding: 'GSM-7', nonGsmCharacters: [] });
        expect(measured.units, `${outcome} ${language}`).toBeLessThanOrEqual(160);
      }
    }
  });

  it('are not notification templates: an agency cannot send a "payment received" SMS', () => {
    for (const name of Object.keys(PAYMENT_SMS_TEMPLATES)) expect(TEMPLATE_NAMES).not.toContain(name);
  });

  it("each recipient reads it in their own language; French when they never chose", async () => {
    const preferences = new MemorySessionStore();
    await preferences.setLanguage(payment.payerMsisdn, 'en');
    const sent: OutboundSms[] = [];
    const send = createReceiptSender({ sms: { enqueue: async (m) => (sent.push(m), { messageId: 'x' }) }, preferences, logger: recordingLogger() });
    await send(payment, 'succeeded');
    expect(sent).toEqual([
      { to: payment.payerMsisdn, text: receiptText(payment, 'succeeded', 'en'), idempotencyKey: `receipt:${payment.id}`, purpose: 'payment-receipt' },
      { to: DEMO_MSISDN, text: receiptText(payment, 'succeeded', 'fr'), idempotencyKey: `receipt:${payment.id}:initiator`, purpose: 'payment-receipt' },
    ]);
  });

  it('a preference store that cannot answer still sends the receipt, in French, and logs no number', async () => {
    const logger = recordingLogger();
    const sent: OutboundSms[] = [];
    const preferences = { getLanguage: async (): Promise<string | null> => { throw new Error('Connection is closed.'); } };
    const send = createReceiptSender({ sms: { enqueue: async (m) => (sent.push(m), { messageId: 'x' }) }, preferences, logger });
    await send({ ...payment, initiatorMsisdn: undefined }, 'failed');
    expect(sent.map((m) => m.text)).toEqual([receiptText(payment, 'failed', 'fr')]);
    expect(logger.lines).toEqual([expect.stringMatching(/^receipt language unavailable: sent in French/)]);
    expect(logger.lines.join('\n')).not.toMatch(/95123456|97000001/);
  });

  it('through the payment flow: a payer who chose English gets the receipt in English', async () => {
    const portal = createDemoPortal();
    const preferences = new MemorySessionStore();
    await preferences.setLanguage(DEMO_MSISDN, 'en');
    const sent: OutboundSms[] = [];
    const jobs = new MemoryJobQueue();
    const payments = createEmbeddedPayments(portal, {
      jobs, store: new MemoryPaymentStore(), preferences, pollIntervalMs: 1,
      provider: createSandboxPaymentProvider({ approveAfterMs: 0 }),
      sms: { enqueue: async (m) => (sent.push(m), { messageId: 'x' }) },
    });
    payments.start();
    const started = await payments.services['payments.start']!({ requestNumber: 'PS00373-240002' }, { msisdn: DEMO_MSISDN, language: 'en', signal: new AbortController().signal, channel: 'ussd' });
    expect(started.outcome).toBe('ok');
    await jobs.drain();
    const paymentId = portal.payments[0]!.paymentId;
    expect(sent).toEqual([expect.objectContaining({ to: DEMO_MSISDN, idempotencyKey: `receipt:${paymentId}` })]);
    expect(sent[0]!.text).toBe(`Payment received: 1900 XOF for request PS00373-240002. Ref ${started.values?.reference}, transaction ${sandboxTransactionId(paymentId)}.`);
    await jobs.close();
  });
});
