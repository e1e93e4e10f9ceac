/**
 * The same three-hop walk through every USSD dialect (HTTP ones and SMPP), against one gateway with Redis sessions,
 * rounds interleaved, medians: hops/s and p99 per dialect next to Africa's Talking, and the
 * ratio (target: none below 0.80 of it).
 *
 *   npm run bench -- ussd-dialects      (BENCH_SECONDS, BENCH_ROUNDS, BENCH_CONNECTIONS to tune)
 */
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import smpp from 'smpp';
import type { Pdu, Session } from 'smpp';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WIRE_DIALECTS, type WireDialect } from '../testkit/dialects.js';
import { until } from '../testkit/until.js';
import { cpuMs, median, startServer } from './lib.js';

// Many short rounds: this machine's speed drifts by ±30% over a minute, so medians need samples.
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14';
const MSISDN = '2290197000001';
const INPUTS = ['1', 'PS00373-240001'];

function requestsFor(dialect: WireDialect): autocannon.Request[] {
  const steps = [{ begin: true, input: '' }, ...INPUTS.map((input) => ({ begin: false, input }))];
  return steps.map((step, i) => ({
    method: 'POST',
    path: `/ussd/${dialect.name}`,
    setupRequest: (req: autocannon.Request, context: object) => {
      const walk = context as { sessionId?: string };
      if (i === 0) walk.sessionId = `${dialect.name}-${Math.random().toString(36).slice(2)}`;
      const raw = dialect.request({
        sessionId: walk.sessionId!,
        msisdn: MSISDN,
        begin: step.begin,
        dialled: '*123#',
        input: step.input,
        history: INPUTS.slice(0, i),
        sequence: i + 1,
      });
      return { ...req, headers: { 'content-type': raw.contentType }, body: raw.body };
    },
    ...(i === steps.length - 1
      ? {
          // Every walk's last screen is checked: a fast wrong answer must not count as speed.
          onResponse: (status: number, body: string) => {
            if (status !== 200 || !dialect.screen(body).text.startsWith('PS00373-240001 Extrait')) wrongAnswers++;
          },
        }
      : {}),
  }));
}

/**
 * The SMPP dialect has no HTTP request to time: a loopback SMSC (this process) plays 50
 * handsets, each walking the same three hops, and times each `deliver_sm` to its `submit_sm`.
 */
class BenchSmsc {
  session: Session | undefined;
  private readonly waiting = new Map<string, (pdu: Pdu) => void>();
  readonly server = smpp.createServer((session) => {
    session.socket.setNoDelay(true);
    session.on('bind_transceiver', (pdu: Pdu) => {
      session.send(pdu.response());
      this.session = session;
    });
    session.on('enquire_link', (pdu: Pdu) => session.send(pdu.response()));
    session.on('submit_sm', (pdu: Pdu) => {
      session.send(pdu.response({ message_id: '1' }));
      const info = pdu.its_session_info as Buffer | undefined;
      this.waiting.get(`${String(pdu.destination_addr)}:${info?.[0] ?? ''}`)?.(pdu);
    });
    session.on('error', () => {});
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `smpp://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  hop(msisdn: string, op: number, message: string, info: number[]): Promise<Pdu> {
    return new Promise((resolve) => {
      this.waiting.set(`${msisdn}:${info[0]}`, resolve);
      this.session!.send(
        new smpp.PDU('deliver_sm', { service_type: 'USSD', source_addr: msisdn, destination_addr: '123', short_message: message, data_coding: 0, ussd_service_op: op, its_session_info: Buffer.from(info) }),
      );
    });
  }

  /** Concurrent three-hop walks for `seconds`: hops/s, p99 and wrong last screens. */
  async run(seconds: number, walkers: number): Promise<{ hops: number; p99: number; errors: number }> {
    const latencies: number[] = [];
    let errors = 0;
    const deadline = Date.now() + seconds * 1000;
    await Promise.all(
      Array.from({ length: walkers }, async (_, w) => {
        // The demo requests' own number (the status is shown only to it); the SMSC's session
        // number tells the 50 handsets apart, as it does for dialogues of one number.
        const msisdn = '2290197000001';
        const session = w;
        while (Date.now() < deadline) {
          const steps: [number, string][] = [[1, '*123#'], [18, '1'], [18, 'PS00373-240001']];
          let last: Pdu | undefined;
          for (const [i, [op, message]] of steps.entries()) {
            const started = performance.now();
            last = await this.hop(msisdn, op, message, [session, i * 2]);
            latencies.push(performance.now() - started);
          }
          const finalText = (last!.short_message as { message: string }).message;
          if (last!.ussd_service_op !== 17 || !finalText.startsWith('PS00373-240001 Extrait')) errors++;
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    return { hops: latencies.length / seconds, p99: Math.round(latencies[Math.floor(latencies.length * 0.99)] ?? 0), errors };
  }
}

let wrongAnswers = 0;
const here = fileURLToPath(new URL('.', import.meta.url));
const redis = new Redis(REDIS_URL);
await redis.flushdb();
const smsc = new BenchSmsc();
const smscUrl = await smsc.listen();
const gateway = await startServer(`${here}servers/gateway.ts`, {
  REDIS_URL,
  LOG_LEVEL: 'warn',
  SMPP_USSD_BENCH_URL: smscUrl,
  SMPP_USSD_BENCH_SYSTEM_ID: 'bench',
  SMPP_USSD_BENCH_PASSWORD: 'bench',
  SMPP_USSD_BENCH_WINDOW: String(CONNECTIONS * 2),
  SMPP_USSD_BENCH_TPS: '10000',
});
await until(() => smsc.session !== undefined, 'the gateway to bind to the bench SMSC');

try {
  const results = new Map<string, { hops: number[]; p99: number[]; cpu: number[]; errors: number }>();
  for (const dialect of WIRE_DIALECTS) results.set(dialect.name, { hops: [], p99: [], cpu: [], errors: 0 });
  results.set('smpp', { hops: [], p99: [], cpu: [], errors: 0 });
  const pid = gateway.child.pid!;
  await autocannon({ url: gateway.url, connections: 10, duration: 1, requests: requestsFor(WIRE_DIALECTS[0]!) });

  for (let round = 0; round < ROUNDS; round++) {
    // Rotate the order each round so no dialect always runs first or last.
    const order = WIRE_DIALECTS.map((_, i) => WIRE_DIALECTS[(i + round) % WIRE_DIALECTS.length]!).filter(
      (d) => !process.env.BENCH_ONLY || d.name === 'africastalking' || process.env.BENCH_ONLY === d.name,
    );
    for (const dialect of order) {
      wrongAnswers = 0;
      const cpuBefore = cpuMs(pid);
      const r = await autocannon({ url: gateway.url, connections: CONNECTIONS, duration: SECONDS, requests: requestsFor(dialect) });
      const entry = results.get(dialect.name)!;
      entry.hops.push(r.requests.average);
      entry.p99.push(r.latency.p99);
      entry.cpu.push(((cpuMs(pid) - cpuBefore) * 1000) / Math.max(1, r.requests.total));
      entry.errors += r.errors + r.non2xx + wrongAnswers;
      console.log(`round ${round + 1} ${dialect.name.padEnd(15)} ${r.requests.average.toFixed(0).padStart(6)} hops/s  p99 ${r.latency.p99} ms  errors ${r.errors + r.non2xx + wrongAnswers}`);
    }
    if (process.env.BENCH_ONLY && process.env.BENCH_ONLY !== 'smpp') continue;
    const cpuBefore = cpuMs(pid);
    const r = await smsc.run(SECONDS, CONNECTIONS);
    const entry = results.get('smpp')!;
    entry.cpu.push(((cpuMs(pid) - cpuBefore) * 1000) / Math.max(1, r.hops * SECONDS));
    entry.hops.push(r.hops);
    entry.p99.push(r.p99);
    entry.errors += r.errors;
    console.log(`round ${round + 1} ${'smpp'.padEnd(15)} ${r.hops.toFixed(0).padStart(6)} hops/s  p99 ${r.p99} ms  errors ${r.errors}`);
  }

  const at = results.get('africastalking')!;
  const atHops = median(at.hops);
  const atP99 = median(at.p99);
  console.log(`\nmedians of ${ROUNDS} rounds, ${CONNECTIONS} concurrent three-hop walks, ${SECONDS} s each:`);
  const atCpu = median(at.cpu);
  console.log('dialect           hops/s   p99 ms   hops/s vs AT   p99 vs AT   gateway cpu µs/hop (vs AT)   errors   (target: hops/s ratio >= 0.80)');
  for (const [name, r] of results) {
    const hops = median(r.hops);
    const p99 = median(r.p99);
    const cpu = median(r.cpu);
    console.log(
      `${name.padEnd(16)} ${hops.toFixed(0).padStart(7)} ${String(p99).padStart(8)} ${(hops / atHops).toFixed(2).padStart(14)} ${(p99 / Math.max(1, atP99)).toFixed(2).padStart(11)} ${cpu.toFixed(0).padStart(14)} (${(cpu / atCpu).toFixed(2)}) ${String(r.errors).padStart(14)}`,
    );
  }
} finally {
  gateway.child.kill();
  smsc.session?.socket.destroy();
  smsc.server.close();
  await redis.flushdb();
  await redis.quit();
}
