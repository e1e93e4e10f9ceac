import { beforeAll, describe, expect, it } from 'vitest';
import { smppUssd } from '../../providers/smpp-ussd/ussd.js';
import { runHopPipeline } from '../../src/channels/ussd/hop-pipeline.js';
import { resumableState, resumeCandidate } from '../../src/channels/ussd/resume.js';
import type { UssdSessionRecord } from '../../src/channels/ussd/session-record.js';
import type { Menu } from '../../src/engine/schema.js';
import type { EngineState } from '../../src/engine/types.js';
import { hopHandlerDeps } from '../../src/http/app.js';
import { silentLogger } from '../../src/observability/logger.js';
import { MemorySessionStore } from '../../src/sessions/memory.js';
import { createTestGateway, defaultServices, type TestGateway } from '../../testkit/harness.js';

/**
 * What a dropped session may be resumed at (`src/channels/ussd/resume.ts`), on the national menu
 * (`menus/service-public.yaml`), and a redial over a cut SMPP dialogue's own key.
 */

let gw: TestGateway;
let menu: Menu;
let anip: Menu;
beforeAll(async () => {
  gw = await createTestGateway();
  menu = gw.menus.resolve('*123#')!.menu;
  anip = gw.menus.resolve('*123*5#')!.menu;
});

const at = (node: string, back: string[], vars: Record<string, string> = {}): EngineState => ({
  menuId: 'service-public',
  menuVersion: menu.version,
  node,
  back,
  vars,
  language: 'fr',
  page: 0,
});

describe('resumableState: where a cut session is resumed', () => {
  const cases: { name: string; state: () => EngineState; expected: () => EngineState | null }[] = [
    { name: 'on the home screen: nothing to offer', state: () => at('home', []), expected: () => null },
    {
      name: 'on a screen with collected inputs: as it was',
      state: () => at('track.not_found', ['home', 'track.ask'], { requestNumber: 'PS00200-240005' }),
      expected: () => at('track.not_found', ['home', 'track.ask'], { requestNumber: 'PS00200-240005' }),
    },
    {
      name: 'on the birth-date prompt with the NPI held: back to the NPI prompt, the NPI dropped',
      state: () => at('track.birth', ['home', 'track.ask', 'track.not_found', 'track.npi'], { requestNumber: 'PS00200-240005', npi: '9876543210' }),
      expected: () => at('track.npi', ['home', 'track.ask', 'track.not_found'], { requestNumber: 'PS00200-240005' }),
    },
    {
      name: "past the holder's proof (its token held): back to the holder's NPI prompt, only what was typed before it kept",
      state: () =>
        at('pay.show.amount', ['home', 'pay.ask', 'pay.not_found', 'pay.npi', 'pay.birth'], { requestNumber: 'PS00373-240002', holderProof: 'token', amountXof: '1900' }),
      expected: () => at('pay.npi', ['home', 'pay.ask', 'pay.not_found'], { requestNumber: 'PS00373-240002' }),
    },
    {
      name: 'on the payment confirmation itself: as it was (it is asked there)',
      state: () => at('pay.show', ['home', 'pay.ask'], { requestNumber: 'PS00373-240002', amountXof: '1900' }),
      expected: () => at('pay.show', ['home', 'pay.ask'], { requestNumber: 'PS00373-240002', amountXof: '1900' }),
    },
    {
      name: "past the payment confirmation (typing the payer's number): back to the confirmation, what was typed after it dropped",
      state: () => at('pay.other.ask', ['home', 'pay.ask', 'pay.show'], { requestNumber: 'PS00373-240002', amountXof: '1900', payer: '0196000000' }),
      expected: () => at('pay.show', ['home', 'pay.ask'], { requestNumber: 'PS00373-240002', amountXof: '1900' }),
    },
  ];
  it.each(cases)('$name', ({ state, expected }) => {
    expect(resumableState(menu, state())).toEqual(expected());
  });
});

describe('resumeCandidate: which previous session may be offered', () => {
  const record = (overrides: Partial<UssdSessionRecord> = {}): UssdSessionRecord => ({
    e: at('track.not_found', ['home', 'track.ask'], { requestNumber: 'PS00200-240005' }),
    c: '+2290197000001',
    n: 'nonce',
    h: 'hash',
    s: { text: 'Aucune demande…', end: false },
    ...overrides,
  });
  const cases: { name: string; record: () => UssdSessionRecord; msisdn?: string; offered: boolean; other?: boolean }[] = [
    { name: 'cut by an abort', record: () => record({ x: 'user_aborted' }), offered: true },
    { name: 'cut by the network', record: () => record({ x: 'network_timeout' }), offered: true },
    { name: 'cut by our lateness (Hubtel timeout)', record: () => record({ x: 'app_timeout' }), offered: true },
    { name: 'left silent (no notice; the redial shows it is over)', record: () => record(), offered: true },
    { name: 'ended by the menu', record: () => record({ x: 'completed', s: { text: 'END', end: true } }), offered: false },
    { name: 'closed by our own failure screen', record: () => record({ x: 'error' }), offered: false },
    { name: "another number's session", record: () => record({ x: 'user_aborted' }), msisdn: '+2290196123456', offered: false },
    { name: 'itself a resume offer', record: () => record({ b: at('track.ask', ['home']) }), offered: false },
    { name: "on another agency's menu", record: () => record({ x: 'user_aborted' }), offered: false, other: true },
  ];
  it.each(cases)('$name: offered $offered', ({ record: make, msisdn, offered, other }) => {
    const candidate = resumeCandidate(make(), msisdn ?? '+2290197000001', other ? anip : menu, menu);
    expect(candidate !== null).toBe(offered);
  });
});

describe('SMPP: a redial reusing the cut dialogue\'s session number', () => {
  it('is a new session, offered the cut one back, not refused as a late hop of it', async () => {
    const services = await defaultServices();
    const store = new MemorySessionStore();
    const deps = { ...hopHandlerDeps({ menus: gw.menus, services, sessions: store, preferences: store, dialects: [], logger: silentLogger }), resumeWindowSeconds: 120 };
    // its_session_info: session number 7, then the end bit set (SMPP 3.4 §5.3.2.43).
    const begin = () => smppUssd.parse({ source_addr: '2290197000001', destination_addr: '123', message: '*123#', ussd_service_op: 1, its_session_info: new Uint8Array([7, 0]) });
    const run = (parsed: ReturnType<typeof smppUssd.parse>) => runHopPipeline(deps, 'smpp', parsed, undefined, 160);
    expect(await run(begin())).toMatchObject({ screen: { end: false } });
    await run(smppUssd.parse({ source_addr: '2290197000001', destination_addr: '123', message: '1', ussd_service_op: 18, its_session_info: new Uint8Array([7, 2]) }));
    await run(smppUssd.parse({ source_addr: '2290197000001', destination_addr: '123', message: '', ussd_service_op: 17, its_session_info: new Uint8Array([7, 3]) }));
    const redial = await run(begin());
    expect(redial).toMatchObject({ type: 'answer', deliver: true, screen: { text: "Votre session a été coupée.\n1.Reprendre où j'en étais\n2.Recommencer", end: false } });
  });
});
