import { afterAll, describe, expect, it } from 'vitest';
import { ussdRegistry } from '../../providers/index.js';
import { MemorySessionStore } from '../../src/sessions/memory.js';
import { hopHandlerDeps } from '../../src/http/app.js';
import type { Logger } from '../../src/observability/logger.js';
import type { ServiceRegistry } from '../../src/services/service-registry.js';
import { createTestGateway, defaultServices } from '../../testkit/harness.js';
import { DIALECT_DRIVERS, walkOver, type DialectConnection } from '../../testkit/dialects.js';

/**
 * Issue 11 item 9 (USSD part): walking every dialect, identity proofs and mistyped dial-throughs
 * included, no log line holds a raw phone number, NPI or birth date, and no session record keeps
 * an NPI or birth date past the hop that checks it.
 */

const CALLER = '2290197000001';
const STRANGER = '2290166000009';
// The proof of PS00200-240005's holder in the demo portal (src/portal/demo.ts).
const NPI = '9876543210';
const BIRTH_DATE = '01012000';
const WRONG_BIRTH_DATE = '02022001';
/** What must never appear in a log line: the numbers in every written form, the proofs. */
const FORBIDDEN = [CALLER, CALLER.slice(3), CALLER.slice(-8), STRANGER, STRANGER.slice(-8), NPI, BIRTH_DATE, WRONG_BIRTH_DATE];

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (fields: Record<string, unknown>, message: string) => void lines.push(`${message} ${JSON.stringify(fields)}`);
  return { lines, debug: log, info: log, warn: log, error: log };
}

/** Every record written, to check what is kept at rest. */
class RecordingStore extends MemorySessionStore {
  readonly writes: { key: string; data: string }[] = [];
  override async save(key: string, data: string, expectedVersion: number | null, ttlSeconds: number): Promise<boolean> {
    const saved = await super.save(key, data, expectedVersion, ttlSeconds);
    if (saved) this.writes.push({ key, data });
    return saved;
  }
}

const logger = recordingLogger();
const store = new RecordingStore();

/** One walk: the opening, then each input, in the driver's wire, history kept for cumulative dialects. */
async function walk(connection: DialectConnection, sessionId: string, msisdn: string, dialled: string, inputs: string[]) {
  return (await walkOver(connection, sessionId, msisdn, dialled, inputs)).map(({ screen }) => screen.text);
}

const connections: DialectConnection[] = [];
afterAll(async () => {
  for (const connection of connections) await connection.close();
});

describe.each(ussdRegistry.map((entry) => ({ name: entry.dialect.name, driver: DIALECT_DRIVERS[entry.dialect.name]! })))('personal data through $name', ({ name, driver }) => {
  it('identity proofs, a wrong one, dial-throughs mistyped and right, a stranger: nothing personal logged or kept', async () => {
    const services = await defaultServices();
    const gw = await createTestGateway({ services, store, logger });
    const hopDeps = hopHandlerDeps({ menus: gw.menus, services, sessions: store, preferences: store, dialects: [], logger });
    const connection = await driver.connect({ app: gw.app, hopDeps });
    connections.push(connection);
    const id = (suffix: string) => `${name}-pii-${suffix}`;

    // A wrong birth date, then the right one (a new session: a denial ends the first).
    const denied = await walk(connection, id('a'), CALLER, '*123#', ['1', 'PS00200-240005', '1', NPI, WRONG_BIRTH_DATE]);
    expect(denied.at(-1)).toContain('Nous ne pouvons pas afficher');
    const proved = await walk(connection, id('b'), CALLER, '*123#', ['1', 'PS00200-240005', '1', NPI, BIRTH_DATE]);
    expect(proved.at(-1)).toContain('Statut: Rejetée');
    // A stranger naming the caller's session (refused, logged as such).
    await connection.send({ sessionId: id('b'), msisdn: STRANGER, begin: false, dialled: '*123#', input: '1', history: ['1'], sequence: 9 });

    if (driver.carriesDialString) {
      // Mistyped code: the whole proof rides in what was dialled.
      const mistyped = await walk(connection, id('c'), CALLER, `*1234*1*PS00200-240005*1*${NPI}*${BIRTH_DATE}#`, []);
      expect(mistyped[0]).toContain("Ce code n'est pas reconnu");
      const through = await walk(connection, id('d'), CALLER, `*123*1*PS00200-240005*1*${NPI}*${BIRTH_DATE}#`, []);
      expect(through[0]).toContain('Statut: Rejetée');
    }

    const mine = store.writes.filter((w) => w.key.startsWith(`${name}:`));
    expect(mine.length).toBeGreaterThan(0);
    for (const write of mine) {
      // The birth date is typed in the hop that checks it: never kept. The NPI waits one hop for
      // it, on the birth-date screen, and only there.
      expect(write.data).not.toContain(BIRTH_DATE);
      expect(write.data).not.toContain(WRONG_BIRTH_DATE);
      const state = JSON.parse(write.data) as { e: { node: string } };
      if (state.e.node !== 'track.birth') expect(write.data, `record at ${state.e.node}`).not.toContain(NPI);
    }
  });
});

describe('personal data through Nalo keyed by the phone number', () => {
  it('no SESSIONID: the session key is the number, and no log line has it whole', async () => {
    // A portal slower than the hop's budget: the time-budget warning names the session.
    const base = await defaultServices();
    const lookup = base['portal.requestStatus']!;
    const services: ServiceRegistry = {
      ...base,
      'portal.requestStatus': async (args, ctx) => {
        await new Promise((resolve) => setTimeout(resolve, 60));
        return lookup(args, ctx);
      },
    };
    const gw = await createTestGateway({ services, store, logger, serviceDeadlineMs: 20 });
    const post = async (body: string) =>
      (await gw.app.request('/ussd/nalo', { method: 'POST', headers: { 'content-type': 'application/json' }, body })).text();
    await post(`{"USERID":"NALOTest","MSISDN":"${CALLER}","USERDATA":"*123#","MSGTYPE":true,"NETWORK":"MTN"}`);
    for (const input of ['1', 'PS00200-240005', '1', NPI, BIRTH_DATE]) {
      await post(`{"USERID":"NALOTest","MSISDN":"${CALLER}","USERDATA":"${input}","MSGTYPE":false,"NETWORK":"MTN"}`);
    }
    // A hop the session cannot take (the session ended): logged with its key.
    await post(`{"USERID":"NALOTest","MSISDN":"${CALLER}","USERDATA":"9","MSGTYPE":false,"NETWORK":"MTN"}`);
    // A stranger naming the number as SESSIONID.
    await post(`{"USERID":"NALOTest","MSISDN":"${STRANGER}","USERDATA":"1","MSGTYPE":false,"NETWORK":"MTN","SESSIONID":"${CALLER}"}`);
    expect(store.writes.some((w) => w.key === `nalo:tel:+${CALLER}`)).toBe(true);
    expect(logger.lines.some((line) => line.includes('service over its time budget') && line.includes('"session":"tel:+2290197****01"'))).toBe(true);
  });
});

describe('the log of every walk above', () => {
  it('was written, and holds no raw number, NPI or birth date', () => {
    expect(logger.lines.length).toBeGreaterThan(10);
    // The lines that carry a session or a dialled code are there, masked.
    expect(logger.lines.some((line) => line.includes('unknown service code') && line.includes('*1234#+5'))).toBe(true);
    expect(logger.lines.some((line) => line.includes("another number than the session's"))).toBe(true);
    for (const line of logger.lines) for (const value of FORBIDDEN) expect(line, line).not.toContain(value);
  });
});
