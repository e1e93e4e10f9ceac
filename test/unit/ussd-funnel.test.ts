import { describe, expect, it } from 'vitest';
import { advance, resume, startSession } from '../../src/engine/engine.js';
import { parseMenu } from '../../src/engine/menu-parse.js';
import type { Menu } from '../../src/engine/schema.js';
import type { HopContext, Step } from '../../src/engine/types.js';
import type { FunnelStep } from '../../src/observability/funnels.js';
import { FunnelTrace, funnelSessionOf } from '../../src/observability/ussd-funnel.js';
import type { UssdSessionRecord } from '../../src/channels/ussd/session-record.js';

/**
 * What the funnels read from the engine's steps: every transition of a walk, from the opening on,
 * classified as an arrival, a choice or a refusal. The menu has each kind of node and a screen long
 * enough to page.
 */

const ctx: HopContext = { msisdn: '+2290197000001', screenLimit: 160 };

const menu: Menu = parseMenu(
  `
id: trace-menu
title: Trace
serviceCodes: ["*556#"]
services: [demo.lookup]
start: home
nodes:
  home:
    type: choice
    text: Accueil
    options:
      - { label: Saisir, next: ask }
      - { label: Long, next: long }
      - { key: "7", label: Info, next: info }
  ask:
    type: input
    text: "NPI (10 chiffres):"
    store: npi
    validate: { digits: true, minLength: 10, maxLength: 10 }
    next: lookup
  lookup:
    type: action
    service: demo.lookup
    args: { npi: "{{npi}}" }
    on: { ok: found }
    otherwise: failed
  found:
    type: message
    text: "Trouvé"
  failed:
    type: message
    text: Erreur
  info:
    type: message
    text: "Information"
    next: home
  long:
    type: choice
    text: "${'Lorem ipsum dolor sit amet. '.repeat(5).trim()}"
    options:
${Array.from({ length: 9 }, (_, i) => `      - { label: "Option numero ${i + 1}", next: info }`).join('\n')}
`,
  'trace-menu.yaml',
);

const entered = (node: string): FunnelStep => ({ kind: 'entered', node });
const chose = (node: string, option: string): FunnelStep => ({ kind: 'chose', node, option });
const refused = (node: string): FunnelStep => ({ kind: 'refused', node });

/** One hop per input after the opening; every service answers `ok`. Returns each hop's steps. */
function traceWalk(inputs: string[]): FunnelStep[][] {
  let step: Step = startSession(menu, 'fr', ctx);
  const hops = [new FunnelTrace(menu, null, null, step).steps];
  for (const input of inputs) {
    const from = step.state;
    step = advance(menu, from, input, ctx);
    const trace = new FunnelTrace(menu, from, input, step);
    while (step.type === 'call') {
      step = resume(menu, step.state, { outcome: 'ok' }, ctx);
      trace.resumed(step);
    }
    hops.push(trace.steps);
  }
  return hops;
}

describe('FunnelTrace', () => {
  const cases: { name: string; inputs: string[]; steps: FunnelStep[][] }[] = [
    { name: 'the opening enters the start screen', inputs: [], steps: [[entered('home')]] },
    { name: 'an option taken: the choice by its key, then the arrival', inputs: ['1'], steps: [[entered('home')], [chose('home', '1'), entered('ask')]] },
    { name: 'an option with a declared key is counted by that key', inputs: ['7'], steps: [[entered('home')], [chose('home', '7'), entered('info')]] },
    { name: 'input around spaces is the option it names', inputs: [' 1 '], steps: [[entered('home')], [chose('home', '1'), entered('ask')]] },
    { name: 'no such option: refused on the screen, nothing entered', inputs: ['5'], steps: [[entered('home')], [refused('home')]] },
    { name: 'an input that does not validate is refused', inputs: ['1', '123'], steps: [[entered('home')], [chose('home', '1'), entered('ask')], [refused('ask')]] },
    {
      name: 'an accepted input walks through the action to its outcome in one hop',
      inputs: ['1', '1234567890'],
      steps: [[entered('home')], [chose('home', '1'), entered('ask')], [entered('lookup'), entered('found')]],
    },
    { name: 'a message with a next screen continues on any input', inputs: ['7', 'x'], steps: [[entered('home')], [chose('home', '7'), entered('info')], [entered('home')]] },
    { name: '0 goes back: an arrival on the screen before, never a choice', inputs: ['1', '0'], steps: [[entered('home')], [chose('home', '1'), entered('ask')], [entered('home')]] },
    { name: '0 on the start screen stays: nothing counted', inputs: ['0'], steps: [[entered('home')], []] },
    { name: '00 goes home: an arrival there', inputs: ['1', '00'], steps: [[entered('home')], [chose('home', '1'), entered('ask')], [entered('home')]] },
    { name: '98 turns the page: the same screen, nothing counted', inputs: ['2', '98'], steps: [[entered('home')], [chose('home', '2'), entered('long')], []] },
    {
      name: 'an option of a later page is still the option',
      inputs: ['2', '98', '9'],
      steps: [[entered('home')], [chose('home', '2'), entered('long')], [], [chose('long', '9'), entered('info')]],
    },
    { name: '98 on a screen with no next page is refused like any unknown option', inputs: ['98'], steps: [[entered('home')], [refused('home')]] },
  ];

  it.each(cases)('$name', ({ inputs, steps }) => {
    expect(traceWalk(inputs)).toEqual(steps);
  });

  it('the engine marks a refused input on its step and only then', () => {
    const home = startSession(menu, 'fr', ctx);
    expect(advance(menu, home.state, '5', ctx)).toMatchObject({ type: 'screen', refused: true });
    expect(advance(menu, home.state, '1', ctx)).not.toHaveProperty('refused');
    expect(advance(menu, home.state, '0', ctx)).not.toHaveProperty('refused');
  });
});

describe('funnelSessionOf', () => {
  const record = (node: string, extra: Partial<UssdSessionRecord> = {}): UssdSessionRecord => ({
    e: { menuId: 'trace-menu', menuVersion: menu.version, node, back: [], vars: {}, language: 'fr', page: 0 },
    c: '+2290195000001',
    n: 'nonce',
    h: 'hash',
    s: { text: 'x', end: false },
    o: 1000,
    k: 4,
    ...extra,
  });
  const cases: { name: string; record: UssdSessionRecord; menu: Menu | undefined; expected: Record<string, unknown> }[] = [
    { name: 'labels from the menu the record runs on', record: record('ask'), menu, expected: { menu: 'trace-menu', node: 'ask', operator: 'MOOV', openedAt: 1000, hops: 4 } },
    { name: 'a menu version no longer loaded: other', record: record('ask'), menu: undefined, expected: { menu: 'other', node: 'other' } },
    { name: 'a node the menu does not have: other', record: record('gone'), menu, expected: { menu: 'trace-menu', node: 'other' } },
    { name: 'a number outside the operators ranges: other', record: record('ask', { c: '+22921300000' }), menu, expected: { operator: 'other' } },
    { name: 'a record from before hops were counted', record: record('ask', { o: undefined, k: undefined }), menu, expected: { openedAt: undefined, hops: 0 } },
  ];
  it.each(cases)('$name', (c) => {
    expect(funnelSessionOf('hubtel:s1', 3, c.record, 'hubtel', c.menu)).toMatchObject({ key: 'hubtel:s1', version: 3, dialect: 'hubtel', ...c.expected });
  });
});
