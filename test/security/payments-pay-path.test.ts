import { describe, expect, it } from 'vitest';
import { createSandboxPaymentProvider } from '../../providers/sandbox-payment/payment.js';
import { MemoryJobQueue } from '../../src/jobs/memory.js';
import { createEmbeddedPayments } from '../../src/payments/embedded-payments.js';
import { MemoryPaymentStore } from '../../src/payments/store/memory.js';
import { PAYMENT_PROMPTS_PER_HOUR } from '../../src/payments/menu-services.js';
import { createDemoPortal, DEMO_REQUESTS, type DemoRequest } from '../../src/portal/demo.js';
import type { PortalClient } from '../../src/portal/port.js';
import { MemoryAttemptLimiter } from '../../src/limits/memory.js';
import type { ServiceContext } from '../../src/services/service-registry.js';
import { atHop, createTestGateway, defaultServices } from '../../testkit/harness.js';

/**
 * Issue 11 items 4 and 5 through the real Africa's Talking route and the national menu: the pay
 * path keeps tracking's holder rule, and nobody can push PIN prompts for someone else's request
 * without the holder's proof, nor more than a few an hour, nor lock the holder out.
 * The demo requests belong to +2290197000001 (NPI 1234567890, born 15031990).
 */
const HOLDER = '+2290197000001';
const STRANGER = '+2290196123456';
const HOLDER_PROOF = ['1234567890', '15031990'];
const extraRequests: DemoRequest[] = Array.from({ length: 6 }, (_, i) => ({
  ...DEMO_REQUESTS[1]!, requestNumber: `PS00373-25000${i}`, holderNpi: '1234567890', holderBirthDate: '15031990',
}));

/** Names each portal question, to show the pay path asks the same ones whether a request exists or not. */
function recordingPortal(inner: PortalClient, calls: string[]): PortalClient {
  return {
    findRequest: (n, c) => (calls.push('findRequest'), inner.findRequest(n, c)),
    feeDue: (n, c) => (calls.push('feeDue'), inner.feeDue(n, c)),
    verifyIdentity: (n, claim, c) => (calls.push('verifyIdentity'), inner.verifyIdentity(n, claim, c)),
    recordPayment: (notice, c) => (calls.push('recordPayment'), inner.recordPayment(notice, c)),
  };
}

async function payGateway() {
  const demo = createDemoPortal([...DEMO_REQUESTS, ...extraRequests]);
  const portalCalls: string[] = [];
  const portal = recordingPortal(demo, portalCalls);
  const store = new MemoryPaymentStore();
  const jobs = new MemoryJobQueue();
  // One limiter for tracking and paying, as the Node gateway wires it.
  const attempts = new MemoryAttemptLimiter();
  const payments = createEmbeddedPayments(portal, {
    store, jobs, provider: createSandboxPaymentProvider({ approveAfterMs: 3_600_000 }), pollIntervalMs: 3_600_000, holderProof: { attempts },
  });
  payments.start();
  const gateway = await createTestGateway({ services: await defaultServices({ portal, attempts, payments }) });
  let session = 0;
  async function dial(phoneNumber: string, inputs: string[]): Promise<string> {
    const sessionId = `pay-sec-${++session}`;
    let body = '';
    for (let i = 0; i <= inputs.length; i++) body = (await atHop(gateway.app, { sessionId, phoneNumber, text: inputs.slice(0, i).join('*') })).body;
    return body;
  }
  const all = async () => (await store.overdue('9999-01-01T00:00:00.000Z', 1000)).length;
  /** The menu variables of every session so far (the engine state the pay path controls). */
  const sessionVars = async () => {
    const records = await Promise.all([...Array(session).keys()].map((i) => gateway.store.load(`africastalking:pay-sec-${i + 1}`)));
    return JSON.stringify(records.map((r) => (r ? (JSON.parse(r.data) as { e: { vars: unknown } }).e.vars : null)));
  };
  return { ...gateway, demo, portalCalls, store, jobs, payments, dial, all, sessionVars };
}

const neutral = (n: string) => `CON Aucune demande ${n} n'est liée à ce numéro de téléphone.\n1.Payer pour le titulaire (son NPI)\n2.Autre numéro de demande\n0.Retour 00.Accueil`;

describe('the pay path keeps the holder rule (issue 11 item 4)', () => {
  it.each<[string, string, string[], RegExp | string]>([
    ['the holder sees service and fee', HOLDER, ['2', 'PS00373-240002'], /^CON Extrait de casier judiciaire\nMontant: 1 900 FCFA/],
    ['the holder is told a paid fee is paid', HOLDER, ['2', 'PS00373-240001'], /^END Les frais de la demande PS00373-240001 sont déjà payés/],
    ['a stranger, an unpaid request: neutral', STRANGER, ['2', 'PS00373-240002'], neutral('PS00373-240002')],
    ['a stranger, a paid request: neutral', STRANGER, ['2', 'PS00373-240001'], neutral('PS00373-240001')],
    ['a stranger, no such request: the same neutral screen', STRANGER, ['2', 'PS00999-999999'], neutral('PS00999-999999')],
    ['a stranger with a wrong birth date: nothing shown', STRANGER, ['2', 'PS00373-240002', '1', '1234567890', '16031990'], /^END Nous ne pouvons pas afficher la demande PS00373-240002/],
    ['a stranger with a proof for a request that does not exist: nothing shown', STRANGER, ['2', 'PS00999-999999', '1', ...HOLDER_PROOF], /^END Nous ne pouvons pas afficher la demande PS00999-999999/],
    ["a stranger with the holder's proof: the amount only", STRANGER, ['2', 'PS00373-240002', '1', ...HOLDER_PROOF], /^CON Demande PS00373-240002\nMontant: 1 900 FCFA\. Payer par mobile money\?/],
  ])('%s', async (_case, phone, inputs, expected) => {
    const gw = await payGateway();
    const body = await gw.dial(phone, inputs);
    if (typeof expected === 'string') expect(body).toBe(expected);
    else expect(body).toMatch(expected);
    expect(await gw.all()).toBe(0);
  });

  it('asks the portal the same questions whether the request exists, is paid, or does not exist', async () => {
    const asked: string[][] = [];
    for (const number of ['PS00373-240002', 'PS00373-240001', 'PS00999-999999']) {
      const gw = await payGateway();
      await gw.dial(STRANGER, ['2', number]);
      asked.push(gw.portalCalls);
    }
    expect(asked[0]).toEqual(['findRequest', 'feeDue']);
    expect(asked[1]).toEqual(asked[0]);
    expect(asked[2]).toEqual(asked[0]);
  });

  // The menu's variables only: the hop handler's own record of Africa's Talking's cumulative text
  // (`h`) is issue 11 item 9's, outside the pay path.
  it("the NPI and birth date leave the session's variables as soon as they are checked", async () => {
    const gw = await payGateway();
    await gw.dial(STRANGER, ['2', 'PS00373-240002', '1', ...HOLDER_PROOF]);
    const stored = await gw.sessionVars();
    expect(stored).toContain('holderProof'); // the session was read: it holds the proof token instead
    expect(stored).not.toContain('1234567890');
    expect(stored).not.toContain('15031990');
  });

  it('the proof attempts are the same counters as tracking: 3 wrong on one path lock the other', async () => {
    const gw = await payGateway();
    for (const date of ['01011980', '02011980', '03011980']) await gw.dial(STRANGER, ['1', 'PS00373-240002', '1', '1234567890', date]);
    expect(await gw.dial(STRANGER, ['2', 'PS00373-240002', '1', '1234567890', '04011980'])).toMatch(/^END Trop d'essais d'identification\. Réessayez dans 1 min/);
    expect(await gw.dial(STRANGER, ['2', 'PS00373-240002', '1', ...HOLDER_PROOF])).toMatch(/^END Trop d'essais/);
  });
});

describe('PIN prompts for someone else (issue 11 item 5)', () => {
  const ctx = (msisdn: string): ServiceContext => ({ msisdn, language: 'fr', signal: new AbortController().signal, channel: 'ussd' });

  it.each<[string, Record<string, string>]>([
    ['no proof at all', { requestNumber: 'PS00373-240002' }],
    ['a made-up proof', { requestNumber: 'PS00373-240002', holderProof: `${Date.now() + 60_000}.${'0'.repeat(64)}` }],
    ['a proof with the wrong shape', { requestNumber: 'PS00373-240002', holderProof: 'proved' }],
  ])('payments.start from a stranger with %s: the neutral not_found, nothing created', async (_case, args) => {
    const gw = await payGateway();
    expect(await gw.payments.services['payments.start']!({ ...args, payer: '0195123456' }, ctx(STRANGER))).toEqual({ outcome: 'not_found' });
    expect(await gw.all()).toBe(0);
  });

  it("a proof is bound to its caller and its request: another number or request can't use it", async () => {
    const gw = await payGateway();
    const quoted = await gw.payments.services['payments.quote']!({ requestNumber: 'PS00373-240002', npi: '1234567890', birthDate: '15031990' }, ctx(STRANGER));
    expect(quoted).toMatchObject({ outcome: 'ok_amount', values: { amountXof: 1900, npi: '', birthDate: '' } });
    const holderProof = String(quoted.values?.holderProof);
    const start = gw.payments.services['payments.start']!;
    expect(await start({ requestNumber: 'PS00373-240002', holderProof }, ctx('+2290196000077'))).toEqual({ outcome: 'not_found' });
    expect(await start({ requestNumber: 'PS00150-240004', holderProof }, ctx(STRANGER))).toEqual({ outcome: 'not_found' });
    expect(await gw.all()).toBe(0);
    expect((await start({ requestNumber: 'PS00373-240002', holderProof }, ctx(STRANGER))).outcome).toBe('ok');
  });

  it(`at most ${PAYMENT_PROMPTS_PER_HOUR} prompts an hour to a wallet that did not ask; the holder's own number is never counted`, async () => {
    const gw = await payGateway();
    const answers: string[] = [];
    for (const request of extraRequests.slice(0, PAYMENT_PROMPTS_PER_HOUR + 1)) {
      answers.push(await gw.dial(HOLDER, ['2', request.requestNumber, '3', '0195123456']));
    }
    expect(answers.slice(0, PAYMENT_PROMPTS_PER_HOUR).every((a) => /^END Paiement [0-9A-F]{8}: 1 900 FCFA\. Le 0195123456/.test(a))).toBe(true);
    expect(answers.at(-1)).toBe('END Trop de demandes de paiement pour ce numéro ou cette demande. Réessayez dans une heure.');
    expect(await gw.all()).toBe(PAYMENT_PROMPTS_PER_HOUR);
    // The holder's own wallet, for the next request: not counted, not blocked.
    expect(await gw.dial(HOLDER, ['2', extraRequests[5]!.requestNumber, '1'])).toMatch(/^END Paiement [0-9A-F]{8}: 1 900 FCFA\. Tapez votre code secret/);
  });

  it(`at most ${PAYMENT_PROMPTS_PER_HOUR} prompts an hour for a request from numbers other than its holder's; the holder still pays`, async () => {
    const gw = await payGateway();
    const request = extraRequests[0]!.requestNumber;
    const answers: string[] = [];
    for (let i = 0; i <= PAYMENT_PROMPTS_PER_HOUR; i++) {
      answers.push(await gw.dial(`+22901960000${10 + i}`, ['2', request, '1', ...HOLDER_PROOF, '1']));
      // The stranger never approves; the prompt lapses (as the reconciliation job expires it).
      for (const id of await gw.store.overdue('9999-01-01T00:00:00.000Z', 10)) await gw.store.transition(id, { to: 'expired', at: new Date().toISOString(), reason: 'test: lapsed', code: 'expired_unanswered' });
    }
    expect(answers.slice(0, PAYMENT_PROMPTS_PER_HOUR).every((a) => /^END Paiement [0-9A-F]{8}: 1 900 FCFA\. Tapez/.test(a))).toBe(true);
    expect(answers.at(-1)).toMatch(/^END Trop de demandes de paiement/);
    expect(await gw.dial(HOLDER, ['2', request, '1'])).toMatch(/^END Paiement [0-9A-F]{8}: 1 900 FCFA\. Tapez votre code secret/);
  });

  it("a stranger's open prompt never locks the holder out; if both pay, the portal is told once and the second is flagged for a refund", async () => {
    const gw = await payGateway();
    expect(await gw.dial(STRANGER, ['2', 'PS00373-240002', '1', ...HOLDER_PROOF, '1'])).toMatch(/^END Paiement/);
    expect(await gw.dial(HOLDER, ['2', 'PS00373-240002', '1'])).toMatch(/^END Paiement [0-9A-F]{8}: 1 900 FCFA\. Tapez votre code secret/);
    // The other way round: the holder's payment open, a stranger (with the proof) waits.
    expect(await gw.dial('+2290196000099', ['2', 'PS00373-240002', '1', ...HOLDER_PROOF, '1'])).toMatch(/^END Un paiement pour la demande PS00373-240002 est déjà en cours/);
    const ids = await gw.store.overdue('9999-01-01T00:00:00.000Z', 10);
    expect(ids).toHaveLength(2);
    const payments = await Promise.all(ids.map((id) => gw.store.get(id)));
    expect(payments.map((p) => p?.startedBy).sort()).toEqual(['holder', 'other']);
    await gw.jobs.close(); // the pollers (an hour apart) are not part of this case
    for (const payment of payments) await gw.payments.apply(payment!, { status: 'succeeded', providerTransactionId: `TX-${payment!.id.slice(0, 4)}` }, 'test: both approved');
    // Whatever the portal jobs do, and even run again by hand for both: one notice, the first success's.
    for (const id of ids) await gw.payments.tellPortal(id);
    expect(gw.demo.payments).toHaveLength(1);
    const flagged = (await Promise.all(ids.map((id) => gw.store.get(id)))).filter((p) => p?.reconciliationFlags?.includes('paid_twice'));
    expect(flagged).toHaveLength(1);
    expect(flagged[0]!.id).not.toBe(gw.demo.payments[0]!.paymentId);
  });
});
