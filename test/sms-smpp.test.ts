import type { Pdu } from 'smpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySessionStore } from '../src/sessions/memory.js';
import { MemoryJobQueue } from '../src/jobs/memory.js';
import { SmppLink } from '../src/runtime/node/smpp/smpp-link.js';
import { createSmppSmsRoute } from '../src/runtime/node/smpp/smpp-sms-route.js';
import { silentLogger } from '../src/observability/logger.js';
import { recordDeliveryReport } from '../src/sms/delivery-reports.js';
import { SmsDispatcher } from '../src/sms/dispatcher.js';
import { handleInboundSms } from '../src/sms/inbound.js';
import { MemoryMessageStore } from '../src/sms/store/port.js';
import { defaultServices } from '../testkit/harness.js';
import { TestSmsc } from '../testkit/smsc.js';
import { until } from '../testkit/until.js';

/** SMS over a direct SMPP link, against a loopback SMSC built with the smpp package's server. */
let smsc: TestSmsc;
let link: SmppLink;
const store = new MemoryMessageStore();
const queue = new MemoryJobQueue();
let dispatcher: SmsDispatcher;

beforeAll(async () => {
  smsc = new TestSmsc();
  const url = await smsc.start();
  const preferences = new MemorySessionStore();
  const services = await defaultServices();
  link = new SmppLink({ url, systemId: 'guichet', password: 'secret', reconnectInitialMs: 50, responseTimeoutMs: 1000, enquireLinkMs: 200 }, silentLogger);
  const route = createSmppSmsRoute('smpp-moov', link, 'ServPublic', {
    onReport: (report) => recordDeliveryReport(store, report, silentLogger),
    onInbound: (sms) => handleInboundSms({ services, preferences, outbox: dispatcher, logger: silentLogger }, sms),
  });
  dispatcher = new SmsDispatcher({ store, preferences, queue, routes: { 'smpp-moov': route }, routing: { default: 'smpp-moov' }, transliterate: true, logger: silentLogger });
  dispatcher.start();
  link.start();
  await until(() => link.isBound, 'the bind');
});

afterAll(async () => {
  await queue.close();
  await link.stop();
  await smsc.stop();
});

const text = (pdu: Pdu) => (pdu.short_message as { message: string }).message;
const udh = (pdu: Pdu) => [...((pdu.short_message as { udh?: Buffer[] }).udh?.[0] ?? [])];

describe('SMS over SMPP', () => {
  it('sends a short message as one submit_sm with data_coding 0 and a receipt requested', async () => {
    const next = smsc.nextSubmit();
    const { message } = await dispatcher.send({ to: '+2290164000000', text: 'Votre extrait est prêt.', idempotencyKey: 's-1', purpose: 'notification' });
    const pdu = await next;
    expect(pdu).toMatchObject({ destination_addr: '2290164000000', source_addr: 'ServPublic', data_coding: 0, registered_delivery: 1 });
    expect(text(pdu)).toBe('Votre extrait est pret.');
    for (let i = 0; i < 50 && (await store.get(message.id))?.status !== 'sent'; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await store.get(message.id)).toMatchObject({ status: 'sent', providerMessageId: expect.stringMatching(/^m\d+$/) });
  });

  it('splits a long message into UDH-concatenated parts', async () => {
    const first = smsc.nextSubmit();
    const second = smsc.nextSubmit();
    const long = `Service Public: ${'votre demande est en cours de traitement. '.repeat(5)}Merci.`;
    await dispatcher.send({ to: '+2290164000000', text: long, idempotencyKey: 's-2', purpose: 'notification' });
    const [a, b] = await Promise.all([first, second]);
    expect(Number(a.esm_class) & 0x40).toBe(0x40);
    // Concatenation IE: type 0, length 3, one reference for both parts, 2 parts, part number.
    expect(udh(a)).toEqual([0x00, 0x03, udh(a)[2], 2, 1]);
    expect(udh(b)).toEqual([0x00, 0x03, udh(a)[2], 2, 2]);
    expect(text(a) + text(b)).toBe(long);
    expect(text(a).length).toBeLessThanOrEqual(153);
  });

  it('a delivery receipt marks the message delivered; a repeat changes nothing', async () => {
    const next = smsc.nextSubmit();
    const { message } = await dispatcher.send({ to: '+2290164000000', text: 'Recu', idempotencyKey: 's-3', purpose: 'notification' });
    await next;
    let providerId: string | undefined;
    for (let i = 0; i < 50 && !providerId; i++) {
      providerId = (await store.get(message.id))?.providerMessageId;
      if (!providerId) await new Promise((r) => setTimeout(r, 20));
    }
    const receipt = (stat: string) =>
      smsc.deliverSm({ source_addr: '2290164000000', destination_addr: 'ServPublic', esm_class: 0x04, short_message: `id:${providerId} sub:001 dlvrd:001 submit date:2611230850 done date:2611230851 stat:${stat} err:000 text:Recu` });
    receipt('DELIVRD');
    for (let i = 0; i < 50 && (await store.get(message.id))?.status !== 'delivered'; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await store.get(message.id))!.status).toBe('delivered');
    receipt('UNDELIV');
    await new Promise((r) => setTimeout(r, 100));
    expect((await store.get(message.id))!.status).toBe('delivered');
  });

  it("answers a citizen's SMS sent on the link", async () => {
    const next = smsc.nextSubmit();
    smsc.deliverSm({ source_addr: '2290197000001', destination_addr: '123', esm_class: 0, data_coding: 0, short_message: 'STATUT PS00373-240001' });
    const reply = await next;
    expect(reply.destination_addr).toBe('2290197000001');
    expect(text(reply)).toBe('Service Public: demande PS00373-240001: disponible le 20/11/2026.');
  });

  it('survives a dropped link: reconnects and sends', async () => {
    const binds = smsc.binds;
    smsc.dropLink();
    await until(() => smsc.binds > binds && link.isBound, 'the rebind');
    const next = smsc.nextSubmit();
    await dispatcher.send({ to: '+2290164000000', text: 'Apres coupure', idempotencyKey: 's-5', purpose: 'notification' });
    expect(text(await next)).toBe('Apres coupure');
  });
});
