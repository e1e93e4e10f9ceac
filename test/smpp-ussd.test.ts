import type { Pdu } from 'smpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemorySessionStore } from '../src/sessions/memory.js';
import type { HopHandlerDeps } from '../src/channels/ussd/hop-handler.js';
import { MenuRegistry } from '../src/engine/menu-registry.js';
import { loadMenuFiles } from '../src/runtime/node/menu-files.js';
import { SmppLink } from '../src/runtime/node/smpp/smpp-link.js';
import type { ServiceRegistry } from '../src/services/service-registry.js';
import { serveUssdOverSmpp } from '../src/runtime/node/smpp/smpp-ussd-channel.js';
import { silentLogger } from '../src/observability/logger.js';
import { noMetrics } from '../src/observability/metrics.js';
import { defaultServices, MENUS_DIR } from '../testkit/harness.js';
import { boundSmppLink, TestSmsc, type BoundSmppLink } from '../testkit/smsc.js';
import { until } from '../testkit/until.js';
import { SMSC_ADDRESSING, SMSC_STYLES } from '../providers/smpp-ussd/fixtures.js';
import type { SessionInfoPolicy } from '../providers/smpp-ussd/ussd.js';
import type { UssdProviderSettings } from '../src/channels/ussd/provider-settings.js';

const text = (pdu: Pdu) => (pdu.short_message as { message: string }).message;

let bound: BoundSmppLink | undefined;
let smsc: TestSmsc;
let link: SmppLink;

/** The hop handler's ports for a USSD channel on SMPP: the national menus, memory sessions. */
async function hopDepsWith(services: ServiceRegistry, sessions = new MemorySessionStore()): Promise<HopHandlerDeps> {
  return {
    menus: new MenuRegistry(await loadMenuFiles(MENUS_DIR, services)),
    services,
    sessions,
    preferences: new MemorySessionStore(),
    logger: silentLogger,
    metrics: noMetrics,
    sessionTtlSeconds: 180,
    serviceDeadlineMs: 2000,
  };
}

beforeAll(async () => {
  const services = await defaultServices();
  const deps = await hopDepsWith(services);
  bound = await boundSmppLink({ enquireLinkMs: 100, responseTimeoutMs: 1000, reconnectInitialMs: 50, window: 2, submitsPerSecond: 1000 }, (link) =>
    serveUssdOverSmpp(deps, link, { provider: 'smpp-mtn', screenLimit: 160 }),
  );
  ({ smsc, link } = bound);
});

afterAll(async () => {
  await bound?.close();
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
    expect(text(pdu)).toBe('Service Public du Bénin\n1.Suivre une demande\n2.Payer des frais\n3.Trouver un CCSP\n4.Langue / Language\n5.Qui a consulté mon dossier');
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
    expect(text(pdu)).toBe('Langue:\n1.Français\n2.English\n3.Fɔngbè\n4.Yorùbá\n0.Retour 00.Accueil');
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
    const { createNodeGateway } = await import('../src/runtime/node/gateway.js');
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
    // Window 1: each submit waits for the previous answer, so nothing is on the wire when the throttle comes back.
    const backoffMs = 300;
    const { smsc: throttling, link: slow, close } = await boundSmppLink({ window: 1, submitsPerSecond: 1000, throttleBackoffMs: backoffMs });
    try {
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
      expect(slow.stats.lastPause!.until - slow.stats.lastPause!.from).toBeCloseTo(backoffMs, 6);
    } finally {
      await close();
    }
  });

  it('binds as SMPP 3.4 unless told otherwise', async () => {
    expect(smsc.interfaceVersion).toBe(0x34);
    const { smsc: other, close } = await boundSmppLink({ interfaceVersion: 0x50 });
    try {
      expect(other.interfaceVersion).toBe(0x50);
    } finally {
      await close();
    }
  });
});

const WALK_SCREENS = [
  { text: 'Service Public du Bénin\n1.Suivre une demande\n2.Payer des frais\n3.Trouver un CCSP\n4.Langue / Language\n5.Qui a consulté mon dossier', op: 2 },
  { text: 'Numéro de la demande (ex. PS00373-240001):\n0.Retour 00.Accueil', op: 2 },
  { text: 'PS00373-240001 Extrait de casier judiciaire\nStatut: Disponible le 20/11/2026\nA retirer: CCSP Cotonou 1', op: 17 },
];

/** A loopback SMSC and a link served by the USSD channel, with its own sessions. */
async function smppGateway(options: { sessionInfo?: SessionInfoPolicy; settings?: UssdProviderSettings } = {}) {
  const services = await defaultServices();
  const sessions = new MemorySessionStore();
  const deps = await hopDepsWith(services, sessions);
  const { smsc: operator, link: operatorLink, close } = await boundSmppLink({ reconnectInitialMs: 50, submitsPerSecond: 1000 }, (link) =>
    serveUssdOverSmpp(deps, link, { provider: 'smpp-test', screenLimit: 160, ...options }),
  );
  return {
    smsc: operator,
    link: operatorLink,
    sessions,
    async hop(op: number, message: string, info: readonly number[], extra: Record<string, unknown> = {}) {
      const reply = operator.nextSubmit();
      operator.deliver(op, message, info, '2290197000001', { ...SMSC_ADDRESSING, ...extra });
      return reply;
    },
    close,
  };
}

describe.each([
  { style: SMSC_STYLES.constant, policy: 'echo' as const, replies: [[0x12, 0x34], [0x12, 0x34], [0x12, 0x34]] },
  { style: SMSC_STYLES.sequence, policy: 'sequence' as const, replies: [[7, 2], [7, 6], [7, 11]] },
])('$style.name, replies with its_session_info policy $policy', ({ style, policy, replies }) => {
  it('the three-hop walk reaches the right screens', async () => {
    const gw = await smppGateway({ sessionInfo: policy });
    try {
      for (const [i, hop] of style.walk.entries()) {
        const pdu = await gw.hop(hop.ussd_service_op, hop.short_message, hop.its_session_info);
        expect({ text: text(pdu), op: pdu.ussd_service_op }).toEqual(WALK_SCREENS[i]);
        expect([...(pdu.its_session_info as Buffer)]).toEqual(replies[i]);
      }
    } finally {
      await gw.close();
    }
  });
});

describe('SMPP retransmissions: what really repeats', () => {
  const [dial, first] = SMSC_STYLES.constant.walk;

  it('the same deliver_sm again on the same bind (same sequence_number) is answered again, not run again', async () => {
    const gw = await smppGateway({ sessionInfo: 'echo' });
    try {
      await gw.hop(dial!.ussd_service_op, dial!.short_message, dial!.its_session_info);
      const reply = gw.smsc.nextSubmit();
      const sequence = gw.smsc.deliver(first!.ussd_service_op, first!.short_message, first!.its_session_info, '2290197000001', { ...SMSC_ADDRESSING });
      expect(text(await reply)).toBe(WALK_SCREENS[1]!.text);
      // A copy long after any time window: the PDU number on this bind still says it is the same.
      const record = JSON.parse((await gw.sessions.load('smpp-test:2290197000001:18'))!.data);
      await gw.sessions.save('smpp-test:2290197000001:18', JSON.stringify({ ...record, t: record.t - 60_000 }), (await gw.sessions.load('smpp-test:2290197000001:18'))!.version, 180);
      const again = await gw.hop(first!.ussd_service_op, first!.short_message, first!.its_session_info, { sequence_number: sequence });
      expect(text(again)).toBe(WALK_SCREENS[1]!.text);
      expect(JSON.parse((await gw.sessions.load('smpp-test:2290197000001:18'))!.data).e.node).toBe('track.ask');
    } finally {
      await gw.close();
    }
  });

  it('a copy redelivered on the next bind (new sequence_number, same text and session info) is answered again', async () => {
    const gw = await smppGateway({ sessionInfo: 'echo' });
    try {
      await gw.hop(dial!.ussd_service_op, dial!.short_message, dial!.its_session_info);
      await gw.hop(first!.ussd_service_op, first!.short_message, first!.its_session_info);
      const binds = gw.smsc.binds;
      gw.smsc.dropLink();
      await until(() => gw.smsc.binds === binds + 1 && gw.link.isBound && gw.smsc.session !== undefined, 'the rebind');
      const copy = await gw.hop(first!.ussd_service_op, first!.short_message, first!.its_session_info);
      expect(text(copy)).toBe(WALK_SCREENS[1]!.text);
      // Had "1" been taken as a new answer, it would be a request number in the wrong format.
      expect(JSON.parse((await gw.sessions.load('smpp-test:2290197000001:18'))!.data).e.node).toBe('track.ask');
    } finally {
      await gw.close();
    }
  });

  it.each([
    { name: 'within the window it is the copy of the last hop', agedMs: 0, advances: false },
    { name: 'after the window it is the citizen answering the same again', agedMs: 60_000, advances: true },
  ])('the same text and session info again: $name', async ({ agedMs, advances }) => {
    const gw = await smppGateway({ sessionInfo: 'echo' });
    try {
      const info = dial!.its_session_info;
      const key = 'smpp-test:2290197000001:18';
      await gw.hop(dial!.ussd_service_op, dial!.short_message, info);
      const departments = await gw.hop(18, '3', info); // "Trouver un CCSP": the departments
      const nodeAfterFirst = JSON.parse((await gw.sessions.load(key))!.data).e.node;
      const stored = (await gw.sessions.load(key))!;
      const record = JSON.parse(stored.data);
      await gw.sessions.save(key, JSON.stringify({ ...record, t: record.t - agedMs }), stored.version, 180);
      const second = await gw.hop(18, '3', info); // department 3, or the copy of the first "3"
      const nodeAfterSecond = JSON.parse((await gw.sessions.load(key))!.data).e.node;
      expect(text(second) !== text(departments)).toBe(advances);
      expect(nodeAfterSecond !== nodeAfterFirst).toBe(advances);
    } finally {
      await gw.close();
    }
  });
});

describe('SMPP goes through the same hop pipeline as HTTP', () => {
  it('answers with the ton/npi of the deliver_sm', async () => {
    const gw = await smppGateway();
    try {
      const pdu = await gw.hop(1, '*123#', [21, 0], { source_addr_ton: 1, source_addr_npi: 1, dest_addr_ton: 3, dest_addr_npi: 0 });
      expect(pdu).toMatchObject({ source_addr: '123', source_addr_ton: 3, source_addr_npi: 0, destination_addr: '2290197000001', dest_addr_ton: 1, dest_addr_npi: 1 });
    } finally {
      await gw.close();
    }
  });

  it('honours the provider short codes (USSD_<PROVIDER>_SERVICE_CODES)', async () => {
    const gw = await smppGateway({ settings: { serviceCodes: ['*456#'] } });
    try {
      const pdu = await gw.hop(1, '*123#', [22, 0]);
      expect(pdu.ussd_service_op).toBe(17);
      expect(text(pdu)).toMatch(/^Ce code n'est pas reconnu/);
    } finally {
      await gw.close();
    }
  });

  it('honours the provider screen limit (USSD_<PROVIDER>_SCREEN_LIMIT)', async () => {
    const gw = await smppGateway({ settings: { screenLimit: 60 } });
    try {
      expect(text(await gw.hop(1, '*123#', [23, 0]))).toMatch(/98\.Suite$/);
    } finally {
      await gw.close();
    }
  });

  it('honours a GSM-7-only route (USSD_<PROVIDER>_ENCODING=gsm7)', async () => {
    const gw = await smppGateway({ settings: { encoding: 'gsm7' } });
    try {
      const language = await gw.hop(1, '*123*4#', [24, 0]);
      expect(language.data_coding).toBe(0);
      expect(text(language)).toBe('Langue:\n1.Francais\n2.English\n3.Fongbè\n4.Yorùba\n0.Retour 00.Accueil');
    } finally {
      await gw.close();
    }
  });
});
