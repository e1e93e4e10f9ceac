import type { Pdu } from 'smpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySessionStore } from '../sessions/memory.js';
import type { HopHandlerDeps } from '../src/channels/ussd/hop-handler.js';
import { MenuRegistry } from '../src/engine/menu-registry.js';
import { loadMenuFiles } from '../src/node/menu-files.js';
import { SmppLink } from '../src/node/smpp/smpp-link.js';
import { serveUssdOverSmpp } from '../src/node/smpp/smpp-ussd-channel.js';
import { silentLogger } from '../src/observability/logger.js';
import { noMetrics } from '../src/observability/metrics.js';
import { defaultServices, MENUS_DIR } from './harness.js';
import { TestSmsc, until } from './smsc.js';

const text = (pdu: Pdu) => (pdu.short_message as { message: string }).message;

let smsc: TestSmsc;
let link: SmppLink;

beforeAll(async () => {
  smsc = new TestSmsc();
  const url = await smsc.start();
  const services = await defaultServices();
  const deps: HopHandlerDeps = {
    menus: new MenuRegistry(await loadMenuFiles(MENUS_DIR, services)),
    services,
    sessions: new MemorySessionStore(),
    preferences: new MemorySessionStore(),
    logger: silentLogger,
    metrics: noMetrics,
    sessionTtlSeconds: 180,
    serviceDeadlineMs: 2000,
  };
  link = new SmppLink(
    { url, systemId: 'guichet', password: 'secret', enquireLinkMs: 100, responseTimeoutMs: 1000, reconnectInitialMs: 50, window: 2, submitsPerSecond: 1000 },
    silentLogger,
  );
  serveUssdOverSmpp(deps, link, 'smpp-mtn', 160);
  link.start();
  await until(() => link.isBound, 'the bind');
});

afterAll(async () => {
  await link.stop();
  await smsc.stop();
});

describe('USSD over SMPP against a loopback SMSC', () => {
  it('binds as a transceiver and keeps the link alive with enquire_link', async () => {
    expect(smsc.binds).toBe(1);
    await until(() => smsc.enquireLinks >= 2, 'two enquire_link');
  });

  it('walks the national menu: begin (PSSR), continue (USSR), close (PSSR response)', async () => {
    let reply = smsc.nextSubmit();
    smsc.deliver(1, '*123#', [7, 0]);
    let pdu = await reply;
    expect(pdu).toMatchObject({ service_type: 'USSD', destination_addr: '2290197000001', source_addr: '123', ussd_service_op: 2, data_coding: 0 });
    expect(text(pdu)).toBe('Service Public du Bénin\n1.Suivre une demande\n2.Payer des frais\n3.Trouver un CCSP\n4.Langue / Language');
    expect([...(pdu.its_session_info as Buffer)]).toEqual([7, 2]);

    reply = smsc.nextSubmit();
    smsc.deliver(18, '1', [7, 2]);
    pdu = await reply;
    expect(pdu.ussd_service_op).toBe(2);
    expect(text(pdu)).toBe('Numéro de la demande (ex. PS00373-240001):\n0.Retour 00.Accueil');

    reply = smsc.nextSubmit();
    smsc.deliver(18, 'PS00373-240001', [7, 4]);
    pdu = await reply;
    expect(pdu.ussd_service_op).toBe(17);
    expect(text(pdu)).toBe('PS00373-240001 Extrait de casier judiciaire\nStatut: Disponible le 20/11/2026\nA retirer: CCSP Cotonou 1');
    expect([...(pdu.its_session_info as Buffer)]).toEqual([7, 7]); // next sequence, end-of-session bit
  });

  it('dial-through: *123*1*PS00373-240001# answers at once', async () => {
    const reply = smsc.nextSubmit();
    smsc.deliver(1, '*123*1*PS00373-240001#', [8, 0]);
    const pdu = await reply;
    expect(pdu.ussd_service_op).toBe(17);
    expect(text(pdu)).toMatch(/^PS00373-240001 Extrait de casier judiciaire/);
  });

  it('sends text outside GSM-7 as UCS-2 with data_coding 8', async () => {
    let reply = smsc.nextSubmit();
    smsc.deliver(1, '*123#', [9, 0], '2290166000002');
    await reply;
    reply = smsc.nextSubmit();
    smsc.deliver(18, '4', [9, 2], '2290166000002');
    const pdu = await reply; // "Français" has a ç
    expect(pdu.data_coding).toBe(8);
    expect(text(pdu)).toBe('Choisissez la langue:\n1.Français\n2.English\n0.Retour 00.Accueil');
  });

  it('retries a throttled submit_sm and the citizen still gets the screen', async () => {
    const throttledBefore = link.stats.throttled;
    smsc.throttleNext = 1;
    const reply = smsc.nextSubmit();
    smsc.deliver(1, '*123#', [10, 0]);
    expect(text(await reply)).toMatch(/^Service Public du Bénin/);
    expect(link.stats.throttled).toBe(throttledBefore + 1);
  });

  it('keeps at most the window of submit_sm outstanding', async () => {
    smsc.responseDelayMs = 100;
    smsc.maxOutstanding = 0;
    await Promise.all(Array.from({ length: 6 }, (_, i) => link.submit({ service_type: 'USSD', source_addr: '123', destination_addr: '2290197000001', short_message: `t${i}`, data_coding: 0 })));
    smsc.responseDelayMs = 0;
    expect(smsc.maxOutstanding).toBe(2);
  });

  it('reconnects with back-off after the link drops, rebinds and serves again', async () => {
    const binds = smsc.binds;
    smsc.dropLink();
    await until(() => smsc.binds === binds + 1 && link.isBound, 'the rebind');
    expect(link.stats.reconnects).toBeGreaterThanOrEqual(1);
    const reply = smsc.nextSubmit();
    smsc.deliver(1, '*123#', [11, 0]);
    expect(text(await reply)).toMatch(/^Service Public du Bénin/);
  });
});

describe('SMPP link refusals', () => {
  it('a refused bind is retried, not a crash', async () => {
    const other = new TestSmsc();
    const url = await other.start();
    const wrong = new SmppLink({ url, systemId: 'guichet', password: 'wrong', reconnectInitialMs: 50, responseTimeoutMs: 500 }, silentLogger);
    wrong.start();
    await until(() => wrong.stats.reconnects >= 2, 'two reconnect attempts');
    expect(wrong.isBound).toBe(false);
    await wrong.stop();
    await other.stop();
  });
});

describe('the Node gateway wires SMPP USSD links from the environment', () => {
  it('binds to each configured SMSC and serves dialogues on it', async () => {
    const { createNodeGateway } = await import('../src/node/gateway.js');
    const { loadConfig } = await import('../src/config.js');
    const operatorSmsc = new TestSmsc();
    const url = await operatorSmsc.start();
    const gateway = await createNodeGateway(
      loadConfig({ MENUS_DIR, SMPP_USSD_MOOV_URL: url, SMPP_USSD_MOOV_SYSTEM_ID: 'guichet', SMPP_USSD_MOOV_PASSWORD: 'secret', SMPP_USSD_MOOV_WINDOW: '4' }),
      silentLogger,
    );
    try {
      await until(() => operatorSmsc.binds === 1 && operatorSmsc.session !== undefined, 'the gateway to bind');
      const reply = operatorSmsc.nextSubmit();
      operatorSmsc.deliver(1, '*123*1#', [3, 0], '2290164000000');
      const pdu = await reply;
      expect(pdu.ussd_service_op).toBe(2);
      expect(text(pdu)).toMatch(/^Numéro de la demande/);
    } finally {
      await gateway.close();
      await operatorSmsc.stop();
    }
  });
});

describe('SMSC throttling pauses the whole link', () => {
  it('after ESME_RTHROTTLED no submit_sm leaves until the back-off ends, then all go, the throttled one first', async () => {
    const throttling = new TestSmsc();
    const url = await throttling.start();
    // Window 1: each submit waits for the previous answer, so nothing is on the wire when the throttle comes back.
    const backoffMs = 300;
    const slow = new SmppLink({ url, systemId: 'guichet', password: 'secret', window: 1, submitsPerSecond: 1000, throttleBackoffMs: backoffMs }, silentLogger);
    slow.start();
    try {
      await until(() => slow.isBound, 'the bind');
      throttling.throttleNext = 1;
      const sent = Array.from({ length: 4 }, (_, i) =>
        slow.submit({ service_type: 'USSD', source_addr: '123', destination_addr: '2290197000001', short_message: `t${i}`, data_coding: 0 }),
      );
      await Promise.all(sent);
      expect(throttling.throttledAt).toHaveLength(1);
      const throttledAt = throttling.throttledAt[0]!;
      // Five arrivals: t0 (throttled), then t0 again, t1, t2, t3 — none of them inside the pause.
      expect(throttling.submitArrivals).toHaveLength(5);
      const during = throttling.submitArrivals.filter((at) => at > throttledAt && at < throttledAt + backoffMs - 1);
      expect(during).toEqual([]);
      expect(throttling.submits.map(text)).toEqual(['t0', 't1', 't2', 't3']);
      expect(slow.stats.lastPause!.until - slow.stats.lastPause!.from).toBe(backoffMs);
    } finally {
      await slow.stop();
      await throttling.stop();
    }
  });

  it('binds as SMPP 3.4 unless told otherwise', async () => {
    expect(smsc.interfaceVersion).toBe(0x34);
    const other = new TestSmsc();
    const url = await other.start();
    const v5 = new SmppLink({ url, systemId: 'guichet', password: 'secret', interfaceVersion: 0x50 }, silentLogger);
    v5.start();
    try {
      await until(() => v5.isBound, 'the bind');
      expect(other.interfaceVersion).toBe(0x50);
    } finally {
      await v5.stop();
      await other.stop();
    }
  });
});
