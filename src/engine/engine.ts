import { fitsScreen, transliterateToGsm7 } from '../lib/gsm7.js';
import { LANGUAGE_INFO, gsm7SpellingOf } from './languages.js';
import { paginate } from './paging.js';
import type { ChoiceNode, Language, Menu, MenuNode } from './schema.js';
import { localize, renderTemplate } from './template.js';
import type { Effect, EngineState, HopContext, ServiceOutcome, Step } from './types.js';
import { uiText } from './ui-text.js';

/**
 * The menu engine: `(menu, state, input) → (screen, next state, effects)`. Pure: it never does
 * I/O. When it reaches an action node it returns a `call` step; the caller runs the service and
 * hands the outcome to `resume`. Identical on Node and Workers, and cheap per hop whatever the depth.
 */

/** Gotos and actions chained without a screen in between; more is a loop in the menu. */
const MAX_HOPS_WITHOUT_SCREEN = 16;

/** A line shown above the screen once (an invalid input), already in the citizen's language. */
type Notice = string | null;

export function startSession(menu: Menu, language: Language, ctx: HopContext): Step {
  const state: EngineState = {
    menuId: menu.id,
    menuVersion: menu.version,
    node: menu.start,
    back: [],
    vars: {},
    language,
    page: 0,
  };
  return enter(menu, state, menu.start, ctx, []);
}

export function advance(menu: Menu, state: EngineState, rawInput: string, ctx: HopContext): Step {
  const input = rawInput.trim();
  const node = nodeAt(menu, state.node);

  if (input === '00') return enter(menu, { ...state, back: [] }, menu.start, ctx, []);
  if (input === '98' && state.page < pagesOf(menu, state, node, ctx).length - 1) {
    return show(menu, { ...state, page: state.page + 1 }, ctx, [], null);
  }
  if (input === '0') {
    if (state.page > 0) return show(menu, { ...state, page: state.page - 1 }, ctx, [], null);
    const previous = state.back.at(-1);
    if (previous === undefined) return show(menu, { ...state, page: 0 }, ctx, [], null);
    return show(menu, { ...state, node: previous, back: state.back.slice(0, -1), page: 0 }, ctx, [], null);
  }

  const forward = { ...state, back: [...state.back, state.node] };
  switch (node.type) {
    case 'choice': {
      const option = node.options.find((o, i) => optionKey(o, i) === input);
      if (!option) return show(menu, state, ctx, [], uiText(state.language).invalidChoice);
      const chosen = option.set ? { ...forward, vars: { ...state.vars, ...option.set } } : forward;
      if (option.setLanguage) {
        const language = option.setLanguage;
        return enter(menu, { ...chosen, language }, option.next, ctx, [{ type: 'setLanguage', language }]);
      }
      return enter(menu, chosen, option.next, ctx, []);
    }
    case 'input': {
      const value = node.uppercase ? input.toUpperCase() : input;
      if (!isValidInput(value, node.validate)) {
        const notice = node.invalid ? localize(node.invalid, state.language) : uiText(state.language).invalidInput;
        return show(menu, state, ctx, [], notice);
      }
      return enter(menu, { ...forward, vars: { ...state.vars, [node.store]: value } }, node.next, ctx, []);
    }
    case 'message':
      if (node.next === undefined) return show(menu, state, ctx, [], null);
      return enter(menu, forward, node.next, ctx, []);
    default:
      // Action and goto nodes never hold a session between hops.
      throw new Error(`session rests on non-screen node ${state.node}`);
  }
}

/**
 * The screen of a state the session rests on, shown again as it was (a resumed session: the
 * channel restores a stored state and the citizen sees where they were, without any input).
 */
export function redisplay(menu: Menu, state: EngineState, ctx: HopContext): Step {
  return show(menu, state, ctx, [], null);
}

/** Continues after the caller ran the service an action node asked for. */
export function resume(menu: Menu, state: EngineState, result: ServiceOutcome, ctx: HopContext): Step {
  const node = nodeAt(menu, state.node);
  if (node.type !== 'action') throw new Error(`resume on non-action node ${state.node}`);
  const vars = { ...state.vars };
  for (const [name, value] of Object.entries(result.values ?? {})) vars[name] = String(value);
  const next = node.on[result.outcome] ?? node.otherwise;
  return enter(menu, { ...state, vars }, next, ctx, []);
}

/** The screen a failed service or a broken menu leaves the citizen with. */
export function serviceErrorScreen(language: Language): { text: string; end: true } {
  return { text: uiText(language).serviceError, end: true };
}

function enter(menu: Menu, state: EngineState, target: string, ctx: HopContext, effects: Effect[]): Step {
  let nodeId = target;
  for (let i = 0; i < MAX_HOPS_WITHOUT_SCREEN; i++) {
    // Home is home however it was reached: nothing to go back to from there.
    if (nodeId === menu.start) state = { ...state, back: [] };
    const node = nodeAt(menu, nodeId);
    if (node.type === 'goto') {
      nodeId = node.next;
      continue;
    }
    if (node.type === 'action') {
      const templateVars = { ...state.vars, msisdn: ctx.msisdn, language: state.language };
      const args: Record<string, string> = {};
      for (const [name, template] of Object.entries(node.args)) {
        args[name] = renderTemplate(template, templateVars, menu, state.language);
      }
      return { type: 'call', call: { service: node.service, args }, state: { ...state, node: nodeId, page: 0 }, effects };
    }
    return show(menu, { ...state, node: nodeId, page: 0 }, ctx, effects, null);
  }
  throw new Error(`menu ${menu.id} loops through ${target} without showing a screen`);
}

function show(menu: Menu, state: EngineState, ctx: HopContext, effects: Effect[], notice: Notice): Step {
  const node = nodeAt(menu, state.node);
  const pages = pagesOf(menu, state, node, ctx);
  const page = Math.min(state.page, pages.length - 1);
  const isLastPage = page === pages.length - 1;
  const end = node.type === 'message' && node.next === undefined && isLastPage;
  let text = pages[page] ?? '';
  // The notice rides on top of the same page when it fits; paging never shifts because of it.
  if (notice) {
    const withNotice = `${notice}\n${text}`;
    const spelled = spellScreen(state.language, withNotice);
    if (fitsScreen(withNotice, ctx.screenLimit)) text = withNotice;
    // Fon or Yoruba: the reason for the refusal is worth the accents the GSM-7 spelling drops.
    else if (fitsScreen(spelled, ctx.screenLimit)) text = spelled;
  }
  const step: Step = { type: 'screen', screen: { text, end }, state: { ...state, page }, effects };
  // Only a refused input brings a notice.
  if (notice !== null) step.refused = true;
  return step;
}

/**
 * The pages of screens whose texts hold no `{{variable}}`, per menu (a reloaded menu is a new
 * object, so its entries go with the old one): most hops show such a screen (homes, lists,
 * prompts), and working out their lines and pages again was most of the engine's time per hop.
 * Keyed by what else the pages depend on: node, language, screen limit and whether it is home.
 * `null`: the node's texts in that language hold a variable, so it is rendered every time.
 */
const staticPages = new WeakMap<Menu, Map<string, readonly string[] | null>>();

function pagesOf(menu: Menu, state: EngineState, node: MenuNode, ctx: HopContext): readonly string[] {
  let byScreen = staticPages.get(menu);
  if (!byScreen) staticPages.set(menu, (byScreen = new Map()));
  const key = `${state.node}\n${state.language}\n${ctx.screenLimit}\n${state.back.length === 0 ? 1 : 0}`;
  const known = byScreen.get(key);
  if (known) return known;
  const pages = renderPages(menu, state, node, ctx);
  // Bounded by the menu's size: nodes × languages × the few limits providers declare × 2.
  if (known === undefined) byScreen.set(key, holdsVariables(node, state.language) ? null : pages);
  return pages;
}

function holdsVariables(node: MenuNode, language: Language): boolean {
  const texts = [...('text' in node ? [node.text] : []), ...(node.type === 'choice' ? node.options.map((option) => option.label) : [])];
  return texts.some((text) => localize(text, language).includes('{{'));
}

function renderPages(menu: Menu, state: EngineState, node: MenuNode, ctx: HopContext): string[] {
  const ui = uiText(state.language);
  const vars = { ...state.vars, msisdn: ctx.msisdn };
  const text = (t: Parameters<typeof localize>[0]) => renderTemplate(localize(t, state.language), vars, menu, state.language);
  const lines: string[] = [];
  if ('text' in node) {
    // A line whose variables all came out empty (no hint for this status) is dropped, not shown
    // as a blank line; a line the author left blank stays.
    const source = localize(node.text, state.language).split('\n');
    text(node.text)
      .split('\n')
      .forEach((line, i) => {
        const rendered = line.trimEnd();
        if (rendered.trim() !== '' || (source[i] ?? '').trim() === '') lines.push(rendered);
      });
  }
  if (node.type === 'choice') node.options.forEach((option, i) => lines.push(`${optionKey(option, i)}.${text(option.label)}`));
  const closes = node.type === 'message' && node.next === undefined;
  // Home is the start screen, or the first screen a start action leads to (`menus/carriere.yaml`
  // starts by checking the caller's enrolment): nothing to go back to, no footer.
  const atHome = state.back.length === 0;
  const footer = closes ? [] : atHome ? [] : [`${ui.back} ${ui.home}`];
  return screenPages(state.language, lines, { footer, more: ui.more, limit: ctx.screenLimit });
}

/** A text in the language's GSM-7 spelling (unchanged for a language that declares none). */
export function spellScreen(language: Menu['defaultLanguage'], text: string): string {
  return LANGUAGE_INFO[language].gsm7 ? transliterateToGsm7(gsm7SpellingOf(language, text)) : text;
}

/**
 * The pages of a screen. A language with a GSM-7 spelling (Fon, Yoruba: ɛ→e, tone marks dropped)
 * keeps its own letters while the screen fits the UCS-2 budget (70 characters on a 160 screen);
 * past that, the whole screen is shown in the GSM-7 spelling when that needs fewer pages, rather
 * than cut into two or three UCS-2 pages. Shared with the linter, so it sizes what is shown.
 */
export function screenPages(language: Menu['defaultLanguage'], lines: readonly string[], frame: Parameters<typeof paginate>[1]): string[] {
  if (!LANGUAGE_INFO[language].gsm7 || fitsScreen([...lines, ...frame.footer].join('\n'), frame.limit)) return paginate(lines, frame);
  // Spelled first: when that fits one page (the usual case) the UCS-2 pages are never cut.
  const spell = (line: string) => spellScreen(language, line);
  const spelled = paginate(lines.map(spell), { footer: frame.footer.map(spell), more: spell(frame.more), limit: frame.limit });
  if (spelled.length === 1) return spelled;
  const pages = paginate(lines, frame);
  return spelled.length < pages.length ? spelled : pages;
}

/** What the citizen types for an option: its declared key, or its position. */
export function optionKey(option: ChoiceNode['options'][number], index: number): string {
  return option.key ?? String(index + 1);
}

function isValidInput(value: string, rule: Extract<MenuNode, { type: 'input' }>['validate']): boolean {
  if (value === '') return false;
  if (!rule) return true;
  if (rule.digits && !/^\d+$/.test(value)) return false;
  if (rule.minLength !== undefined && value.length < rule.minLength) return false;
  if (rule.maxLength !== undefined && value.length > rule.maxLength) return false;
  if (rule.pattern !== undefined && !compiled(rule.pattern).test(value)) return false;
  return true;
}

/** Patterns come from menus loaded once; compile each once, not on every hop. */
const patternCache = new Map<string, RegExp>();
function compiled(pattern: string): RegExp {
  let regex = patternCache.get(pattern);
  if (!regex) {
    regex = new RegExp(pattern);
    patternCache.set(pattern, regex);
  }
  return regex;
}

function nodeAt(menu: Menu, id: string): MenuNode {
  const node = menu.nodes[id];
  if (!node) throw new Error(`menu ${menu.id}@${menu.version} has no node ${id}`);
  return node;
}
