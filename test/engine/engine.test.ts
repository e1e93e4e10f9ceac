import { describe, expect, it } from 'vitest';
import { advance, resume, startSession } from '../../src/engine/engine.js';
import { parseMenu } from '../../src/engine/menu-parse.js';
import type { Menu } from '../../src/engine/schema.js';
import type { EngineState, HopContext, Step } from '../../src/engine/types.js';
import { measureText } from '../../src/lib/gsm7.js';

const ctx: HopContext = { msisdn: '+2290197000001', screenLimit: 160 };

const menu: Menu = parseMenu(
  `
id: test-menu
title: Test
serviceCodes: ["*555#"]
services: [demo.lookup]
start: home
labels:
  colour: { red: { fr: Rouge, en: Red } }
nodes:
  home:
    type: choice
    text: { fr: Accueil, en: Home }
    options:
      - { label: { fr: Saisir, en: Enter }, next: ask }
      - { label: { fr: Long, en: Long }, next: long }
      - { label: English, setLanguage: en, next: home }
      - { label: Couleur, set: { colour: red }, next: colour }
  ask:
    type: input
    text: { fr: "NPI (10 chiffres):", en: "NPI (10 digits):" }
    store: npi
    validate: { digits: true, minLength: 10, maxLength: 10 }
    invalid: { fr: "NPI invalide.", en: "Invalid NPI." }
    next: lookup
  lookup:
    type: action
    service: demo.lookup
    args: { npi: "{{npi}}", caller: "{{msisdn}}" }
    on: { ok: found }
    otherwise: failed
  found:
    type: message
    text: { fr: "NPI {{npi}}: {{amount|xof}} FCFA", en: "NPI {{npi}}: {{amount|xof}} XOF" }
  failed:
    type: message
    text: Erreur
  colour:
    type: message
    text: "{{colour|colour}}"
    next: home
  long:
    type: message
    text: "${'Lorem ipsum dolor sit amet. '.repeat(12).trim()}"
`,
  'test-menu.yaml',
);

function screenOf(step: Step): { text: string; end: boolean } {
  if (step.type !== 'screen') throw new Error(`expected a screen, got a call to ${step.call.service}`);
  return step.screen;
}

/** Walks inputs from the start, answering every service call with `outcome`. */
function walk(inputs: string[], outcome = { outcome: 'ok', values: { amount: 1900 } }): { step: Step; state: EngineState } {
  let step = startSession(menu, 'fr', ctx);
  for (const input of inputs) {
    step = advance(menu, step.state, input, ctx);
    while (step.type === 'call') step = resume(menu, step.state, outcome, ctx);
  }
  return { step, state: step.state };
}

describe('menu engine', () => {
  const cases: { name: string; inputs: string[]; screen: string; end?: boolean; node?: string }[] = [
    { name: 'home screen has no navigation footer', inputs: [], screen: 'Accueil\n1.Saisir\n2.Long\n3.English\n4.Couleur' },
    { name: 'choice leads to an input screen with back/home', inputs: ['1'], screen: 'NPI (10 chiffres):\n0.Retour 00.Accueil' },
    { name: 'invalid choice repeats the screen with a notice', inputs: ['9'], screen: 'Choix invalide.\nAccueil\n1.Saisir\n2.Long\n3.English\n4.Couleur' },
    { name: 'non-numeric choice is invalid', inputs: ['abc'], screen: 'Choix invalide.\nAccueil\n1.Saisir\n2.Long\n3.English\n4.Couleur' },
    { name: 'input failing validation shows the menu error', inputs: ['1', '12345'], screen: 'NPI invalide.\nNPI (10 chiffres):\n0.Retour 00.Accueil', node: 'ask' },
    { name: 'digits rule refuses letters', inputs: ['1', '12345678ab'], screen: 'NPI invalide.\nNPI (10 chiffres):\n0.Retour 00.Accueil' },
    { name: 'valid input runs the action and shows templated result', inputs: ['1', '1234567890'], screen: 'NPI 1234567890: 1 900 FCFA', end: true },
    { name: '0 goes back', inputs: ['1', '0'], screen: 'Accueil\n1.Saisir\n2.Long\n3.English\n4.Couleur', node: 'home' },
    { name: '00 goes home from an input', inputs: ['1', '00'], screen: 'Accueil\n1.Saisir\n2.Long\n3.English\n4.Couleur' },
    { name: 'option can set variables used by labels', inputs: ['4'], screen: 'Rouge\n0.Retour 00.Accueil' },
    { name: 'language switch re-renders in English', inputs: ['3'], screen: 'Home\n1.Enter\n2.Long\n3.English\n4.Couleur' },
    { name: 'whitespace around inputs is ignored', inputs: [' 1 '], screen: 'NPI (10 chiffres):\n0.Retour 00.Accueil' },
  ];

  it.each(cases)('$name', ({ inputs, screen, end, node }) => {
    const { step, state } = walk(inputs);
    expect(screenOf(step).text).toBe(screen);
    expect(screenOf(step).end).toBe(end ?? false);
    if (node) expect(state.node).toBe(node);
  });

  it('passes collected inputs and the caller to the service', () => {
    let step = startSession(menu, 'fr', ctx);
    step = advance(menu, step.state, '1', ctx);
    step = advance(menu, step.state, '1234567890', ctx);
    expect(step).toMatchObject({ type: 'call', call: { service: 'demo.lookup', args: { npi: '1234567890', caller: '+2290197000001' } } });
  });

  it('branches to `otherwise` for an unlisted outcome', () => {
    const { step } = walk(['1', '1234567890'], { outcome: 'timeout', values: { amount: 0 } });
    expect(screenOf(step)).toEqual({ text: 'Erreur', end: true });
  });

  it('emits a setLanguage effect', () => {
    const step = advance(menu, startSession(menu, 'fr', ctx).state, '3', ctx);
    expect(step.effects).toEqual([{ type: 'setLanguage', language: 'en' }]);
    expect(step.state.language).toBe('en');
  });

  it('pages a long screen with 98, every page within the limit, and 0 pages back', () => {
    const first = walk(['2']);
    const pages = [screenOf(first.step).text];
    let state = first.state;
    for (let i = 0; i < 10 && pages.at(-1)!.includes('98.Suite'); i++) {
      const next = advance(menu, state, '98', ctx);
      pages.push(screenOf(next).text);
      state = next.state;
    }
    expect(pages.length).toBeGreaterThan(1);
    for (const page of pages) expect(measureText(page).units).toBeLessThanOrEqual(160);
    expect(pages.slice(0, -1).every((p) => p.includes('98.Suite'))).toBe(true);
    expect(pages.at(-1)).not.toContain('98.Suite');
    // Every word of the text appears once the pages are put together.
    const joined = pages.join(' ').replace(/98\.Suite|0\.Retour 00\.Accueil/g, ' ');
    expect(joined.split(/\s+/).filter((w) => w === 'Lorem').length).toBe(12);
    const back = advance(menu, state, '0', ctx);
    expect(screenOf(back).text).toBe(pages.at(-2));
  });

  it('keeps the state small: no history of inputs, only the back stack of screens', () => {
    const { state } = walk(['1', '0', '1', '0', '1', '0', '1']);
    expect(state.back).toEqual(['home']);
    expect(JSON.stringify(state).length).toBeLessThan(200);
  });

  it('pins the menu version it started on', () => {
    expect(startSession(menu, 'fr', ctx).state.menuVersion).toBe(menu.version);
  });
});
