import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, serveOnLoopback, type LoopbackServer } from '../testkit/loopback-server.js';
import { until } from '../testkit/until.js';
import { loadConfig } from '../src/config.js';
import { createNodeGateway, type Gateway } from '../src/runtime/node/gateway.js';
import { silentLogger } from '../src/observability/logger.js';
import { MENUS_DIR } from '../testkit/harness.js';

/**
 * The Kannel route against a real Kannel on loopback: bearerbox and smsbox from Debian's `kannel`,
 * `fakesmsc` from `kannel-extras` standing in for the operator's SMSC (it prints what it receives
 * and injects a citizen's message). Guichet is served on a loopback port for Kannel's callbacks.
 */
const FAKESMSC = '/usr/lib/kannel/test/fakesmsc';
const dir = mkdtempSync(join(tmpdir(), 'guichet-kannel-'));
const children: ChildProcess[] = [];
let gateway: Gateway;
let server: LoopbackServer | undefined;
let url: string;
let fakeOutput = '';
let fake: ChildProcess;

/** A citizen's message in fakesmsc's line format; UCS-2 as fakesmsc's `ucs2` type: URL-encoded UTF-16BE. */
function citizenSends(to: string, text: string, coding: 'text' | 'ucs2'): void {
  const data = coding === 'ucs2' ? [...Buffer.from(text, 'utf16le').swap16()].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('') : text;
  fake.stdin!.write(`2290197000001 ${to} ${coding} ${data}\n`);
}

beforeAll(async () => {
  if (!existsSync('/usr/sbin/bearerbox') || !existsSync(FAKESMSC)) throw new Error('Kannel not installed: apt-get install kannel kannel-extras (.ci/run does)');
  const [admin, smsboxPort, smscPort, sendsms, guichetPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  url = `http://127.0.0.1:${guichetPort}`;
  writeFileSync(
    join(dir, 'kannel.conf'),
    `group = core
admin-port = ${admin}
admin-password = adm
admin-interface = 127.0.0.1
smsbox-port = ${smsboxPort}
box-allow-ip = 127.0.0.1
log-level = 1
log-file = ${dir}/bearerbox.log
dlr-storage = internal

group = smsc
smsc = fake
smsc-id = fake
port = ${smscPort}
connect-allow-ip = 127.0.0.1

group = smsbox
bearerbox-host = 127.0.0.1
bearerbox-port = ${smsboxPort}
sendsms-port = ${sendsms}
sendsms-interface = 127.0.0.1
log-level = 1
log-file = ${dir}/smsbox.log
# The default: UCS-2 messages reach Guichet as coding=2&charset=UTF-16BE with their raw bytes.
mo-recode = false

group = sendsms-user
username = guichet
password = k4nnel-secret
concatenation = true
max-messages = 10

# Everything goes to Guichet, which parses keywords itself; max-messages = 0: no automatic reply.
group = sms-service
keyword = default
catch-all = true
max-messages = 0
get-url = "${url}/sms/kannel/inbound?from=%p&to=%P&text=%a&id=%I&coding=%c&charset=%C"
`,
  );
  gateway = await createNodeGateway(
    loadConfig({
      MENUS_DIR,
      MENUS_WATCH: '0',
      SMS_ROUTES: 'default=kannel',
      KANNEL_SENDSMS_URL: `http://127.0.0.1:${sendsms}`,
      KANNEL_USERNAME: 'guichet',
      KANNEL_PASSWORD: 'k4nnel-secret',
      KANNEL_FROM: '123',
      PUBLIC_URL: url,
      NOTIFY_API_KEYS: 'portail:kannel-test-key',
    }),
    silentLogger,
  );
  server = await serveOnLoopback(gateway.app, { port: guichetPort });
  const start = (command: string, args: string[], stdio: 'pipe' | 'ignore' = 'pipe') => {
    const child = spawn(command, args, { cwd: dir, stdio: ['pipe', stdio, stdio] });
    children.push(child);
    return child;
  };
  // The boxes log to their files (log-file above); their stdout/stderr must not be pipes nobody
  // reads: once one fills, smsbox stalls and the next inbound message never reaches Guichet.
  start('/usr/sbin/bearerbox', ['kannel.conf'], 'ignore');
  await new Promise((r) => setTimeout(r, 700));
  start('/usr/sbin/smsbox', ['kannel.conf'], 'ignore');
  // fakesmsc in interactive mode: each line written to its stdin is a citizen's message; it prints every MT it gets.
  fake = start(FAKESMSC, ['-H', '127.0.0.1', '-r', String(smscPort)]);
  fake.stdout!.on('data', (d: Buffer) => (fakeOutput += d.toString()));
  fake.stderr!.on('data', (d: Buffer) => (fakeOutput += d.toString()));
  // smsbox is ready when sendsms answers.
  await until(() => fetch(`http://127.0.0.1:${sendsms}/cgi-bin/sendsms`).then(() => true, () => false), withKannelLogs('smsbox to answer sendsms'), 10_000);

}, 30_000);

afterAll(async () => {
  writeFileSync(join(dir, 'fakesmsc.log'), fakeOutput);
  for (const child of children.reverse()) child.kill('SIGTERM');
  void server?.close();
  await gateway?.close();
});

/** Kannel's processes are slower to move than the in-process fakes. */
const KANNEL_MS = 15_000;
/** What a wait names, with what fakesmsc and smsbox saw, should it time out. */
const withKannelLogs = (what: string) => () => `${what}\nfakesmsc: ${fakeOutput.slice(-2000)}\nsmsbox: ${readFileSync(join(dir, 'smsbox.log'), 'utf8').slice(-2000)}`;

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
    await until(() => fakeOutput.includes('Got message') && fakeOutput.includes('PS00373-240001 (Extrait de casier) est disponible'), withKannelLogs('fakesmsc to receive the notification'), KANNEL_MS);
    expect(fakeOutput).toMatch(/<123 2290197000001 text Service Public: votre demande PS00373-240001 \(Extrait de casier\) est disponible\. Retrait: CCSP Cotonou 1\.>/);
    await until(async () => (await status(id)).status === 'delivered', withKannelLogs('the delivered report'), KANNEL_MS);
    expect((await status(id)).history.map((h) => h.detail)).toEqual(expect.arrayContaining([expect.stringMatching(/^kannel report: type 8/), expect.stringMatching(/^kannel report: type 1/)]));
  });

  it('sends text that needs UCS-2 as coding=2, in concatenated parts', async () => {
    const res = await notification('kannel-evt-0002', { requestNumber: 'PS00373-240002', service: 'Réf. «spéciale» ₣', collectAt: 'Ganhi' });
    const { id } = (await res.json()) as { id: string };
    // Too long for one UCS-2 segment: Kannel sends UDH-concatenated parts, UTF-16BE, URL-encoded.
    const parts = () => [...fakeOutput.matchAll(/<123 2290197000001 udh (\S+) data (\S+)>/g)].map((m) => ({ udh: decodeBytes(m[1]!), text: decodeBytes(m[2]!).swap16().toString('utf16le') }));
    await until(() => parts().length >= 2, withKannelLogs('the UCS-2 parts'), KANNEL_MS);
    const received = parts();
    expect(received.map((p) => [...p.udh])).toEqual([[5, 0, 3, received[0]!.udh[3], 2, 1], [5, 0, 3, received[0]!.udh[3], 2, 2]]);
    expect(received.map((p) => p.text).join('')).toBe('Service Public: votre demande PS00373-240002 (Réf. "spéciale" ₣) est disponible. Retrait: Ganhi.');
    await until(async () => (await status(id)).status === 'delivered', withKannelLogs('its delivery'), KANNEL_MS);
  });

  it("answers a citizen's STATUT sent in UCS-2 (mo-recode = false, get-url), from the short code it was sent to", async () => {
    citizenSends('7070', 'Statut PS00373-240001 reçu ?', 'ucs2');
    await until(() => fakeOutput.includes('<7070 2290197000001 text Service Public: demande PS00373-240001: disponible le 20/11/2026.>'), withKannelLogs('the reply to STATUT from 7070'), KANNEL_MS);
  });
});
