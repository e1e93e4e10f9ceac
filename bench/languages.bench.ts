/**
 * What a national language costs the engine per hop. The same walk of the national menu (home,
 * track, the request number, the answer; then home, pay, the request number, the amount screen) is
 * rendered in fr, en, fon and yor, in process (no HTTP, no store: the engine is the only thing that
 * differs). A Fon or Yoruba screen that does not fit UCS-2's 70 characters is paginated a second
 * time in its GSM-7 spelling, which is what this measures. Rounds are interleaved, medians taken;
 * ratios are to French in the same run.
 *
 *   npm run bench -- languages        (BENCH_ROUNDS, BENCH_WALKS to tune)
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { advance, resume, startSession } from '../src/engine/engine.js';
import { LANGUAGES, type Language } from '../src/engine/languages.js';
import { parseMenu } from '../src/engine/menu-parse.js';
import type { EngineState, HopContext, Step } from '../src/engine/types.js';
import { median } from './lib.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const WALKS = Number(process.env.BENCH_WALKS ?? 4000);
const menusDir = fileURLToPath(new URL('../menus/', import.meta.url));
const menu = parseMenu(readFileSync(`${menusDir}service-public.yaml`, 'utf8'), 'service-public.yaml');
const ctx: HopContext = { msisdn: '+2290197000001', screenLimit: 160 };
const STATUS = { outcome: 'ok', values: { status: 'ready', updatedAt: '20/11/2026', collectAt: 'CCSP Cotonou 1', serviceCode: 'PS00373' } };
const QUOTE = { outcome: 'ok', values: { amountXof: 1900, serviceCode: 'PS00373' } };

/** The walk, each hop's step; a service call is answered at once, as the demo portal would. */
function walk(language: Language): number {
  let hops = 0;
  const settle = (step: Step): EngineState => {
    while (step.type === 'call') step = resume(menu, step.state, step.call.service === 'portal.requestStatus' ? STATUS : step.call.service === 'payments.check' ? { outcome: 'none' } : QUOTE, ctx);
    hops++;
    return step.state;
  };
  let state = settle(startSession(menu, language, ctx));
  for (const input of ['1', 'PS00373-240001']) state = settle(advance(menu, state, input, ctx));
  state = settle(startSession(menu, language, ctx));
  for (const input of ['2', 'PS00373-240002', '0', '00']) state = settle(advance(menu, state, input, ctx));
  return hops;
}

const samples: Record<Language, number[]> = { fr: [], en: [], fon: [], yor: [] };
for (const language of LANGUAGES) for (let i = 0; i < 200; i++) walk(language); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  for (const language of LANGUAGES) {
    let hops = 0;
    const started = process.hrtime.bigint();
    for (let i = 0; i < WALKS; i++) hops += walk(language);
    samples[language].push(Number(process.hrtime.bigint() - started) / 1000 / hops);
  }
}
const fr = median(samples.fr);
console.log(`engine µs per hop, median of ${ROUNDS} interleaved rounds of ${WALKS} walks (${walk('fr')} hops each)`);
console.log('language  µs/hop  ratio to fr');
for (const language of LANGUAGES) {
  const us = median(samples[language]);
  console.log(`${language.padEnd(8)}  ${us.toFixed(2).padStart(6)}  ${(us / fr).toFixed(2)}`);
}
