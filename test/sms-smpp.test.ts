import type { Pdu } from 'smpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SmsDispatcher } from '../src/sms/dispatcher.js';
import type { MemoryMessageStore } from '../src/sms/store/memory.js';
import type { SmppLink } from '../src/runtime/node/smpp/smpp-link.js';
import { defaultServices } from '../testkit/harness.js';
import { startSmppSms, type SmppSms } from '../testkit/smpp-sms.js';
import type { TestSmsc } from '../testkit/smsc.js';
import { until } from '../testkit/until.js';

/** SMS over a direct SMPP link, against a loopback SMSC built with the smpp package's server. */
let sms: SmppSms | undefined;
let smsc: TestSmsc;
let link: SmppLink;
let store: MemoryMessageStore;
let dispatcher: SmsDispatcher;

beforeAll(async () => {
  const services = await defaultServices();
  sms = await startSmppSms({ services, responseTimeoutMs: 1000 });
  ({ smsc, link, store, dispatcher } = sms);
});

afterAll(async () => {
  await sms?.close();
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
    await until(async () => (await store.get(message.id))?.status === 'sent', 'the message sent');
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
    await until(async () => (providerId = (await store.get(message.id))?.providerMessageId) !== undefined, 'the SMSC message id recorded');
    const receipt = (stat: string) =>
      smsc.deliverSm({ source_addr: '2290164000000', destination_addr: 'ServPublic', esm_class: 0x04, short_message: `id:${providerId} sub:001 dlvrd:001 submit date:2611230850 done date:2611230851 stat:${stat} err:000 text:Recu` });
    receipt('DELIVRD');
    await until(async () => (await store.get(message.id))?.status === 'delivered', 'the message delivered');
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
