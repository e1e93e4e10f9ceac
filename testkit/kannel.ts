import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './loopback-server.js';
import { until } from './until.js';

/** Debian's `kannel-extras`: stands in for the operator's SMSC, prints every MT it gets, injects what is written to its stdin. */
const FAKESMSC = '/usr/lib/kannel/test/fakesmsc';
/** `KANNEL_USERNAME` / `KANNEL_PASSWORD` to give the gateway: the sendsms user of the configuration below. */
export const KANNEL_USER = { username: 'guichet', password: 'k4nnel-secret' } as const;

export interface LoopbackKannel {
  /** `KANNEL_SENDSMS_URL` for the gateway. */
  sendsmsUrl: string;
  /** What fakesmsc printed so far (`<from to text …>` per MT it got). */
  output(): string;
  /** One line into fakesmsc (a citizen's message: `from to type data`). */
  send(line: string): void;
  /** For `until`: what the wait was for, with the tails of fakesmsc's output and smsbox's log. */
  withLogs(what: string): () => string;
  /** Stops the three processes; their logs stay in `dir`. */
  stop(): void;
  dir: string;
}

/**
 * A real Kannel on loopback for a test file: bearerbox, smsbox (Debian's `kannel`) and fakesmsc,
 * with one sendsms user and every MO sent to `inboundUrl` (Guichet's `/sms/kannel/inbound`, which
 * need not answer yet: nothing comes in before a test sends it). Ready when sendsms answers.
 *
 * The boxes log to files, never to pipes: a pipe nobody reads fills up, and smsbox then stops
 * forwarding the next inbound message (the stall a first attempt ran into).
 */
export async function startLoopbackKannel(options: { inboundUrl: string; name: string }): Promise<LoopbackKannel> {
  if (!existsSync('/usr/sbin/bearerbox') || !existsSync(FAKESMSC)) throw new Error('Kannel not installed: apt-get install kannel kannel-extras (.ci/run does)');
  const dir = mkdtempSync(join(tmpdir(), `guichet-${options.name}-`));
  const [admin, smsboxPort, smscPort, sendsms] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
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
username = ${KANNEL_USER.username}
password = ${KANNEL_USER.password}
concatenation = true
max-messages = 10

# Everything goes to Guichet, which parses keywords itself; max-messages = 0: no automatic reply.
group = sms-service
keyword = default
catch-all = true
max-messages = 0
get-url = "${options.inboundUrl}?from=%p&to=%P&text=%a&id=%I&coding=%c&charset=%C"
`,
  );
  const children: ChildProcess[] = [];
  let output = '';
  const box = (command: string, logName: string) => {
    const log = openSync(join(dir, logName), 'a');
    children.push(spawn(command, ['kannel.conf'], { cwd: dir, stdio: ['ignore', log, log] }));
    closeSync(log);
  };
  box('/usr/sbin/bearerbox', 'bearerbox.out');
  await new Promise((r) => setTimeout(r, 700));
  box('/usr/sbin/smsbox', 'smsbox.out');
  // fakesmsc in interactive mode: its output is read by the tests, so it is piped and always drained.
  const fake = spawn(FAKESMSC, ['-H', '127.0.0.1', '-r', String(smscPort)], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(fake);
  fake.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  fake.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const smsboxLog = join(dir, 'smsbox.log');
  const kannel: LoopbackKannel = {
    dir,
    sendsmsUrl: `http://127.0.0.1:${sendsms}`,
    output: () => output,
    send: (line) => void fake.stdin!.write(`${line}\n`),
    withLogs: (what) => () => `${what}\nfakesmsc: ${output.slice(-2000)}\nsmsbox: ${existsSync(smsboxLog) ? readFileSync(smsboxLog, 'utf8').slice(-2000) : ''}`,
    stop: () => {
      writeFileSync(join(dir, 'fakesmsc.log'), output);
      for (const child of children.reverse()) child.kill('SIGTERM');
    },
  };
  try {
    await until(() => fetch(`${kannel.sendsmsUrl}/cgi-bin/sendsms`).then(() => true, () => false), kannel.withLogs('smsbox to answer sendsms'), 10_000);
  } catch (error) {
    kannel.stop();
    throw error;
  }
  return kannel;
}
