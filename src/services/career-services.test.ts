import { describe, expect, it } from 'vitest';
import { createDemoAgentRecords } from '../careers/demo.js';
import { MemoryEnrolmentStore } from '../careers/enrolment/memory.js';
import type { AgentRecords } from '../careers/port.js';
import { InteropError } from '../interop/errors.js';
import type { OutboundSms } from '../sms/outbox.js';
import { createCareerServices, randomSixDigits } from './career-services.js';
import type { ServiceContext } from './service-registry.js';

const T0 = Date.UTC(2026, 11, 3, 9, 0, 0);

function setup(options: { records?: AgentRecords; languages?: Record<string, string> } = {}) {
  let clock = T0;
  const sent: OutboundSms[] = [];
  const failures: unknown[] = [];
  const enrolments = new MemoryEnrolmentStore();
  const services = createCareerServices({
    records: options.records ?? createDemoAgentRecords(),
    enrolments,
    outbox: { enqueue: async (message) => (sent.push(message), { messageId: `m${sent.length}` }) },
    preferences: { getLanguage: async (msisdn) => options.languages?.[msisdn] ?? null },
    onNoticeFailed: (error) => failures.push(error),
    now: () => clock,
  });
  const ctx = (msisdn: string): ServiceContext => ({ msisdn, language: 'fr', channel: 'ussd', signal: new AbortController().signal });
  const call = (name: string, args: Record<string, string>, msisdn = '+2290197000001') => services[name]!(args, ctx(msisdn));
  const lastCode = () => /est (\d{6})\./.exec(sent.at(-1)!.text)![1]!;
  return { call, sent, failures, lastCode, enrolments, advance: (ms: number) => (clock += ms) };
}

describe('career enrolment', () => {
  it('sends a six-digit code to the caller only, then enrols on it', async () => {
    const { call, sent, lastCode } = setup();
    expect(await call('careers.enrolment', {})).toEqual({ outcome: 'not_enrolled' });
    expect(await call('careers.enrol', { matricule: '1042173', firstPosting: '01101998' })).toEqual({ outcome: 'sent', values: { codeMinutes: 5 } });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ to: '+2290197000001', purpose: 'career-code' });
    expect(await call('careers.confirm', { otp: lastCode() })).toEqual({ outcome: 'ok' });
    expect(await call('careers.enrolment', {})).toEqual({ outcome: 'enrolled' });
    expect(await call('careers.enrolment', {}, '+2290166000002')).toEqual({ outcome: 'not_enrolled' });
  });

  it.each([
    ['wrong date', { matricule: '1042173', firstPosting: '02101998' }],
    ['unknown matricule', { matricule: '9999999', firstPosting: '01101998' }],
    ['not a date', { matricule: '1042173', firstPosting: '31021998' }],
    ['not a matricule', { matricule: '12', firstPosting: '01101998' }],
  ])('%s: denied, no SMS', async (_what, args) => {
    const { call, sent } = setup();
    expect(await call('careers.enrol', args)).toEqual({ outcome: 'denied' });
    expect(sent).toHaveLength(0);
  });

  it('three free wrong proofs, then a lock per matricule that another number meets too', async () => {
    const { call, advance } = setup();
    const wrong = { matricule: '1042173', firstPosting: '02101998' };
    for (let i = 0; i < 3; i++) expect((await call('careers.enrol', wrong)).outcome).toBe('denied');
    expect(await call('careers.enrol', wrong)).toEqual({ outcome: 'locked', values: { retryMinutes: 1 } });
    // Even the right date is refused while locked, from any number: guessing from many phones does not help.
    expect(await call('careers.enrol', { matricule: '1042173', firstPosting: '01101998' }, '+2290166000009')).toEqual({ outcome: 'locked', values: { retryMinutes: 1 } });
    advance(61_000);
    expect((await call('careers.enrol', { matricule: '1042173', firstPosting: '01101998' })).outcome).toBe('sent');
  });

  it('three wrong codes cancel the code; the right one is then refused too', async () => {
    const { call, lastCode } = setup();
    await call('careers.enrol', { matricule: '1042173', firstPosting: '01101998' });
    const code = lastCode();
    const wrong = code === '000000' ? '111111' : '000000';
    expect(await call('careers.confirm', { otp: wrong })).toEqual({ outcome: 'wrong', values: { attemptsLeft: 2 } });
    expect(await call('careers.confirm', { otp: 'abc' })).toEqual({ outcome: 'wrong', values: { attemptsLeft: 1 } });
    expect(await call('careers.confirm', { otp: wrong })).toEqual({ outcome: 'exhausted' });
    expect(await call('careers.confirm', { otp: code })).toEqual({ outcome: 'expired' });
    expect(await call('careers.enrolment', {})).toEqual({ outcome: 'not_enrolled' });
  });

  it('a code older than five minutes is expired', async () => {
    const { call, lastCode, advance } = setup();
    await call('careers.enrol', { matricule: '1042173', firstPosting: '01101998' });
    advance(5 * 60_000);
    expect(await call('careers.confirm', { otp: lastCode() })).toEqual({ outcome: 'expired' });
  });

  it("a code sent to one number does not enrol another (codes are hashed with the number's key)", async () => {
    const { call, lastCode } = setup();
    await call('careers.enrol', { matricule: '1042173', firstPosting: '01101998' });
    await call('careers.enrol', { matricule: '1187540', firstPosting: '15091986' }, '+2290166000002');
    const second = lastCode();
    expect(await call('careers.confirm', { otp: second }, '+2290166000003')).toEqual({ outcome: 'expired' });
    expect(await call('careers.confirm', { otp: second }, '+2290166000002')).toEqual({ outcome: 'ok' });
  });

  it('at most five codes an hour per number: the sixth right proof is told to wait, and sends nothing', async () => {
    const { call, sent, advance } = setup();
    const right = { matricule: '1042173', firstPosting: '01101998' };
    for (let i = 0; i < 5; i++) expect((await call('careers.enrol', right)).outcome).toBe('sent');
    const refused = await call('careers.enrol', right);
    expect(refused.outcome).toBe('locked');
    expect(Number(refused.values?.retryMinutes)).toBeGreaterThanOrEqual(1);
    expect(sent).toHaveLength(5);
    // Another number is not held back by this one.
    expect((await call('careers.enrol', right, '+2290166000002')).outcome).toBe('sent');
    advance(2 * 3_600_000);
    expect((await call('careers.enrol', right)).outcome).toBe('sent');
  });

  it('the code SMS idempotency keys differ per code: asking twice sends twice', async () => {
    const { call, sent } = setup();
    await call('careers.enrol', { matricule: '1042173', firstPosting: '01101998' });
    await call('careers.enrol', { matricule: '1042173', firstPosting: '01101998' });
    expect(new Set(sent.map((m) => m.idempotencyKey)).size).toBe(2);
    expect(sent.map((m) => m.text).join()).not.toContain('1042173');
  });
});

describe('status screens', () => {
  async function enrolled(matricule: string, firstPosting: string, records?: AgentRecords) {
    const s = setup(records ? { records } : {});
    await s.call('careers.enrol', { matricule, firstPosting });
    await s.call('careers.confirm', { otp: s.lastCode() });
    return s;
  }

  it.each([
    // matricule, posting, service, outcome
    ['1042173', '01101998', 'careers.lastAct', { outcome: 'ok', values: { act: 'step_advance', actDate: '15/03/2026' } }],
    ['1042173', '01101998', 'careers.nextStep', { outcome: 'ok', values: { echelon: 7, stepDate: '15/03/2028' } }],
    ['1093318', '03021992', 'careers.nextStep', { outcome: 'none' }],
    ['1187540', '15091986', 'careers.nextStep', { outcome: 'retired', values: { retirementDate: '31/12/2025' } }],
    ['1042173', '01101998', 'careers.retirement', { outcome: 'ok', values: { retirementDate: '31/12/2038' } }],
    ['2210884', '02011984', 'careers.retirement', { outcome: 'retired', values: { retirementDate: '30/06/2024' } }],
    ['1042173', '01101998', 'careers.pension', { outcome: 'none' }],
    ['2210884', '02011984', 'careers.pension', { outcome: 'ok', values: { pensionStatus: 'in_payment', pensionUpdatedAt: '05/11/2024' } }],
  ])('%s %s → %s', async (matricule, posting, service, expected) => {
    const { call } = await enrolled(matricule, posting);
    expect(await call(service, {})).toEqual(expected);
  });

  it.each(['careers.lastAct', 'careers.nextStep', 'careers.retirement', 'careers.pension'])('%s for a number not enrolled: not_enrolled, the agencies never asked', async (service) => {
    let asked = 0;
    const records = createDemoAgentRecords();
    const counting: AgentRecords = { ...records, career: (...a) => (asked++, records.career(...a)), pensionFile: (...a) => (asked++, records.pensionFile(...a)) };
    const { call } = await enrolled('1042173', '01101998', counting);
    expect(await call(service, {}, '+2290166000002')).toEqual({ outcome: 'not_enrolled' });
    expect(asked).toBe(0);
  });

  it('a menu argument naming another matricule is ignored: the file is the enrolled one', async () => {
    const { call } = await enrolled('1042173', '01101998');
    expect(await call('careers.lastAct', { matricule: '1187540' })).toEqual({ outcome: 'ok', values: { act: 'step_advance', actDate: '15/03/2026' } });
  });

  it('an agency down or slow is an outcome the menu branches on', async () => {
    const records = createDemoAgentRecords();
    let fail: InteropError | undefined;
    const flaky: AgentRecords = { ...records, career: async (...a) => (fail ? Promise.reject(fail) : records.career(...a)) };
    const { call } = await enrolled('1042173', '01101998', flaky);
    fail = new InteropError('unavailable', 'down', { service: 'careerStatus', messageId: 'x' });
    expect(await call('careers.lastAct', {})).toEqual({ outcome: 'unavailable' });
    fail = new InteropError('timeout', 'slow', { service: 'careerStatus', messageId: 'x' });
    expect(await call('careers.nextStep', {})).toEqual({ outcome: 'timeout' });
  });

  it('unenrol forgets the number', async () => {
    const { call } = await enrolled('1042173', '01101998');
    expect(await call('careers.unenrol', {})).toEqual({ outcome: 'ok' });
    expect(await call('careers.lastAct', {})).toEqual({ outcome: 'not_enrolled' });
  });
});

it('codes are six digits, spread over every digit', () => {
  const codes = Array.from({ length: 2000 }, randomSixDigits);
  expect(codes.every((c) => /^\d{6}$/.test(c))).toBe(true);
  // Each leading digit appears (a biased or constant generator fails this).
  expect(new Set(codes.map((c) => c[0])).size).toBe(10);
  expect(new Set(codes).size).toBeGreaterThan(1990);
});

describe('a matricule enrolled on another number', () => {
  const A = '+2290197000001';
  const B = '+2290166000002';
  const PROOF = { matricule: '1042173', firstPosting: '01101998' };
  const enrol = async (t: ReturnType<typeof setup>, msisdn: string, proof = PROOF) => {
    expect((await t.call('careers.enrol', proof, msisdn)).outcome).toBe('sent');
    expect(await t.call('careers.confirm', { otp: t.lastCode() }, msisdn)).toEqual({ outcome: 'ok' });
  };

  it('moves to the number that proved it last; the number that held it loses access and is told, in its language', async () => {
    const t = setup({ languages: { [A]: 'en' } });
    await enrol(t, A);
    t.advance(3_600_000);
    await enrol(t, B);
    expect(await t.call('careers.enrolment', {}, B)).toEqual({ outcome: 'enrolled' });
    expect(await t.call('careers.enrolment', {}, A)).toEqual({ outcome: 'not_enrolled' });
    expect(await t.call('careers.lastAct', {}, A)).toEqual({ outcome: 'not_enrolled' });
    const notices = t.sent.filter((sms) => sms.purpose === 'career-moved');
    expect(notices).toHaveLength(1);
    // 09:00 UTC + 1 h is 11:00 in Benin (UTC+1).
    expect(notices[0]).toMatchObject({ to: A, text: 'Guichet Career: your career file is linked to another number since 03/12/2026 11:00. If this was not you, dial *123*7# and tell your HR office.' });
    // Nothing of the new number or the matricule in the notice.
    expect(notices[0]!.text).not.toContain('1042173');
    expect(notices[0]!.text).not.toContain('0166000002');
    expect(t.failures).toEqual([]);
  });

  it('taken back by the first number: the second is told in turn, French by default', async () => {
    const t = setup();
    await enrol(t, A);
    await enrol(t, B);
    await enrol(t, A);
    expect(t.sent.filter((sms) => sms.purpose === 'career-moved').map((sms) => sms.to)).toEqual([A, B]);
    expect(t.sent.at(-1)!.text).toMatch(/^Guichet Carriere: votre dossier est relie a un autre numero depuis le 03\/12\/2026 10:00\./);
    expect(await t.call('careers.enrolment', {}, A)).toEqual({ outcome: 'enrolled' });
    expect(await t.call('careers.enrolment', {}, B)).toEqual({ outcome: 'not_enrolled' });
  });

  it('no notice when the same number enrols again, nor to a number that unenrolled or enrolled another matricule since', async () => {
    const t = setup();
    await enrol(t, A);
    await enrol(t, A);
    // A unenrols: the matricule has no holder left to tell.
    expect(await t.call('careers.unenrol', {}, A)).toEqual({ outcome: 'ok' });
    await enrol(t, B);
    // B moves on to another matricule (the demo's second agent): B keeps that one.
    await enrol(t, B, { matricule: '2210884', firstPosting: '02011984' });
    await enrol(t, A);
    expect(t.sent.filter((sms) => sms.purpose === 'career-moved')).toEqual([]);
    expect(await t.call('careers.enrolment', {}, B)).toEqual({ outcome: 'enrolled' });
  });
});
