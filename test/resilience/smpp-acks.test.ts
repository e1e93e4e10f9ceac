import { afterAll, beforeAll, expect, it } from 'vitest';
import { boundSmppLink, type BoundSmppLink, type TestSmsc } from '../../testkit/smsc.js';
import { until } from '../../testkit/until.js';

/**
 * Issue 12, item 6 over SMPP: an SMS or a delivery receipt is acknowledged only once recorded; if
 * recording fails the SMSC gets a temporary error (0x64) and delivers it again. A USSD dialogue
 * is still acknowledged at once (its answer is a submit_sm of its own).
 */
let bound: BoundSmppLink | undefined;
let smsc: TestSmsc;
let recording: 'ok' | 'fail' | 'held' = 'ok';
let release: (() => void) | undefined;
const recorded: string[] = [];

beforeAll(async () => {
  bound = await boundSmppLink({}, (link) =>
    link.onDeliver(async (pdu) => {
      if (recording === 'fail') throw new Error('message store unavailable');
      if (recording === 'held') await new Promise<void>((r) => (release = r));
      release = undefined;
      recorded.push(String(pdu.short_message ?? ''));
    }),
  );
  smsc = bound.smsc;
});
afterAll(async () => {
  await bound?.close();
});

const receipt = { source_addr: '2290197000001', destination_addr: '7070', esm_class: 0x04, short_message: 'id:m1 sub:001 dlvrd:001 submit date:2612021000 done date:2612021001 stat:DELIVRD err:000 text:' };

it('acknowledges a receipt after recording it, with a temporary error when recording fails', async () => {
  recording = 'ok';
  expect(await smsc.deliverSmAcked(receipt)).toBe(0);
  expect(recorded).toHaveLength(1);
  recording = 'fail';
  expect(await smsc.deliverSmAcked(receipt)).toBe(0x64);
  // While recording is held, no acknowledgement leaves; once it is recorded, it does.
  recording = 'held';
  let acked: number | undefined;
  const ack = smsc.deliverSmAcked(receipt).then((status) => (acked = status));
  await until(() => release !== undefined, 'the handler to start');
  await new Promise((r) => setTimeout(r, 100));
  expect(acked).toBeUndefined();
  release!();
  await ack;
  expect(acked).toBe(0);
  expect(recorded).toHaveLength(2);
});

it('acknowledges a USSD dialogue at once, however long its hop takes', async () => {
  recording = 'held';
  // Acknowledged while its handler is still held.
  expect(await smsc.deliverSmAcked({ source_addr: '2290197000001', destination_addr: '123', service_type: 'USSD', short_message: '*123#', ussd_service_op: 1 })).toBe(0);
  await until(() => release !== undefined, 'the handler to start');
  expect(recorded).toHaveLength(2);
  release!();
});
