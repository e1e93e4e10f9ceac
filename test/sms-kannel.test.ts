import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, serveOnLoopback, type LoopbackServer } from '../testkit/loopback-server.js';
import { until } from '../testkit/until.js';
import { KANNEL_USER, startLoopbackKannel, type LoopbackKannel } from '../testkit/kannel.js';
import { loadConfig } from '../src/config.js';
import { createNodeGateway, type Gateway } from '../src/runtime/node/gateway.js';
import { silentLogger } from '../src/observability/logger.js';
import { MENUS_DIR } from '../testkit/harness.js';

/**
 * The Kannel route against a real Kannel on loopback: bearerbox and smsbox from Debian's `kannel`,
 * `fakesmsc` from `kannel-extras` standing in for the operator's SMSC (it prints what it receives
 * and injects a citizen's message). Guichet is served on a loopback port for Kannel's callbacks.
 */
let kannel: LoopbackKannel;
let gateway: Gateway;
let server: LoopbackServer | undefined;
let url: string;

/** A citizen's message in fakesmsc's line format; UCS-2 as fakesmsc's `ucs2` type: URL-encoded UTF-16BE. */
function citizenSends(to: string, text: string, coding: 'text' | 'ucs2'): void {
  const data = coding === 'ucs2' ? [...Buffer.from(text, 'utf16le').swap16()].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('') : text;
  kannel.send(`2290197000001 ${to} ${coding} ${data}`);
}

beforeAll(async () => {
  const guichetPort = await freePort();
  url = `http://127.0.0.1:${guichetPort}`;
  kannel = await startLoopbackKannel({ inboundUrl: `${url}/sms/kannel/inbound`, name: 'kannel' });
  gateway = await createNodeGateway(
    loadConfig({
      MENUS_DIR,
      MENUS_WATCH: '0',
      SMS_ROUTES: 'default=kannel',
      KANNEL_SENDSMS_URL: kannel.sendsmsUrl,
      KANNEL_USERNAME: KANNEL_USER.username,
      KANNEL_PASSWORD: KANNEL_USER.password,
      KANNEL_FROM: '123',
      PUBLIC_URL: url,
      NOTIFY_API_KEYS: 'portail:kannel-test-key',
    }),
    silentLogger,
  );
  server = await serveOnLoopback(gateway.app, { port: guichetPort });
}, 30_000);

afterAll(async () => {
  kannel?.stop();
  void server?.close();
  await gateway?.close();
});

/** Kannel's processes are slower to move than the in-process fakes. */
const KANNEL_MS = 15_000;
const withKannelLogs = (what: string) => kannel.withLogs(what);

/** fakesmsc prints binary as URL-encoded bytes, `+` for 0x20. */
function decodeBytes(encoded: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < encoded.length; i++) {
    const ch = encoded[i]!;
    if (ch === '%') {
      bytes.push(parseInt(encoded.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(ch === '+' ? 0x20 : ch.charCodeAt(0));
  }
  return Buffer.from(bytes);
}

const notification = (idempotencyKey: string, params: Record<string, string>, template = 'request_ready') =>
  fetch(`${url}/v1/notifications`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'kannel-test-key' },
    body: JSON.stringify({ to: '+2290197000001', template, params, idempotencyKey }),
  });

const status = async (id: string) => ((await (await fetch(`${url}/v1/notifications/${id}`, { headers: { 'x-api-key': 'kannel-test-key' } })).json()) as { status: string; history: { detail: string }[] });

describe('SMS through a real Kannel', () => {
  it('sends a notification, and its delivery reports come back to the message', async () => {
    const res = await notification('kannel-evt-0001', { requestNumber: 'PS00373-240001', service: 'Extrait de casier', collectAt: 'CCSP Cotonou 1' });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await until(() => kannel.output().includes('Got message') && kannel.output().includes('PS00373-240001 (Extrait de casier) est disponible'), withKannelLogs('fakesmsc to receive the notification'), KANNEL_MS);
    expect(kannel.output()).toMatch(/<123 2290197000001 text Service Public: votre demande PS00373-240001 \(Extrait de casier\) est disponible\. Retrait: CCSP Cotonou 1\.>/);
    await until(async () => (await status(id)).status === 'delivered', withKannelLogs('the delivered report'), KANNEL_MS);
    expect((await status(id)).history.map((h) => h.detail)).toEqual(expect.arrayContaining([expect.stringMatching(/^kannel report: type 8/), expect.stringMatching(/^kannel report: type 1/)]));
  });

  it('sends text that needs UCS-2 as coding=2, in concatenated parts', async () => {
    const res = await notification('kannel-evt-0002', { requestNumber: 'PS00373-240002', service: 'Réf. «spéciale» ₣', collectAt: 'Ganhi' });
    const { id } = (await res.json()) as { id: string };
    // Too long for one UCS-2 segment: Kannel sends UDH-concatenated parts, UTF-16BE, URL-encoded.
    const parts = () => [...kannel.output().matchAll(/<123 2290197000001 udh (\S+) data (\S+)>/g)].map((m) => ({ udh: decodeBytes(m[1]!), text: decodeBytes(m[2]!).swap16().toString('utf16le') }));
    await until(() => parts().length >= 2, withKannelLogs('the UCS-2 parts'), KANNEL_MS);
    const received = parts();
    expect(received.map((p) => [...p.udh])).toEqual([[5, 0, 3, received[0]!.udh[3], 2, 1], [5, 0, 3, received[0]!.udh[3], 2, 2]]);
    expect(received.map((p) => p.text).join('')).toBe('Service Public: votre demande PS00373-240002 (Réf. "spéciale" ₣) est disponible. Retrait: Ganhi.');
    await until(async () => (await status(id)).status === 'delivered', withKannelLogs('its delivery'), KANNEL_MS);
  });

  it("answers a citizen's STATUT sent in UCS-2 (mo-recode = false, get-url), from the short code it was sent to", async () => {
    citizenSends('7070', 'Statut PS00373-240001 reçu ?', 'ucs2');
    await until(() => kannel.output().includes('<7070 2290197000001 text Service Public: demande PS00373-240001: disponible le 20/11/2026.>'), withKannelLogs('the reply to STATUT from 7070'), KANNEL_MS);
  });
});
