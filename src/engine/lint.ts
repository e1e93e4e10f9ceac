import { gsm7Spelling, measureText, unitLimit } from '../lib/gsm7.js';
import { surveyQuestionScreen, surveyUssdText } from '../surveys/templates.js';
import { optionKey, screenPages, spellScreen } from './engine.js';
import { LANGUAGE_INFO } from './languages.js';
import { paginate } from './paging.js';
import { LANGUAGES, RESERVED_INPUTS, surveyChannelOf, type Language, type LocalizedText, type Menu, type MenuNode } from './schema.js';
import { PLACEHOLDER_PATTERN, localize, renderTemplate } from './template.js';
import { uiText } from './ui-text.js';

/**
 * `guichet menus lint`: what the schema cannot see. Pure, so the simulator page can run it too.
 */

export type Severity = 'error' | 'warning';

export interface LintProblem {
  rule:
    | 'unreachable'
    | 'dead-end'
    | 'loop-without-screen'
    | 'reserved-key'
    | 'duplicate-key'
    | 'missing-translation'
    | 'screen-too-long'
    | 'survey-not-asked';
  severity: Severity;
  /** Path inside the menu file, e.g. `['nodes', 'track.ask', 'text']` (node ids may contain dots). */
  path: (string | number)[];
  message: string;
}

export interface LintOptions {
  /** Screen size in GSM-7 characters (the smallest of the providers serving the menu). */
  screenLimit?: number;
  languages?: readonly Language[];
}

/** Where each node can go next. */
export function successors(node: MenuNode): string[] {
  switch (node.type) {
    case 'choice':
      return node.options.map((o) => o.next);
    case 'input':
    case 'goto':
      return [node.next];
    case 'message':
      return node.next === undefined ? [] : [node.next];
    case 'action':
      return [...Object.values(node.on), node.otherwise];
  }
}

export function lintMenu(menu: Menu, options: LintOptions = {}): LintProblem[] {
  const limit = options.screenLimit ?? 160;
  const languages = options.languages ?? LANGUAGES;
  const problems: LintProblem[] = [];
  const nodes = Object.entries(menu.nodes);

  // Reachability from the start.
  const reachable = new Set<string>();
  const stack = [menu.start];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (reachable.has(id) || !menu.nodes[id]) continue;
    reachable.add(id);
    stack.push(...successors(menu.nodes[id]!));
  }
  for (const [id] of nodes) {
    if (!reachable.has(id)) problems.push({ rule: 'unreachable', severity: 'warning', path: ['nodes', id], message: `no path from "${menu.start}" leads here` });
  }

  // Nodes from which no closing screen can be reached: the citizen can only hang up.
  const closes = new Set(nodes.filter(([, n]) => n.type === 'message' && n.next === undefined).map(([id]) => id));
  let grew = true;
  while (grew) {
    grew = false;
    for (const [id, node] of nodes) {
      if (!closes.has(id) && successors(node).some((next) => closes.has(next))) {
        closes.add(id);
        grew = true;
      }
    }
  }
  for (const [id] of nodes) {
    if (reachable.has(id) && !closes.has(id)) {
      problems.push({ rule: 'dead-end', severity: 'error', path: ['nodes', id], message: 'no closing screen (a message without next) can be reached from here' });
    }
  }

  // goto/action chains that come back to themselves without showing anything.
  for (const [id, node] of nodes) {
    if (node.type !== 'goto') continue;
    const seen = new Set<string>([id]);
    let current: MenuNode | undefined = menu.nodes[node.next];
    let currentId = node.next;
    while (current?.type === 'goto') {
      if (seen.has(currentId)) {
        problems.push({ rule: 'loop-without-screen', severity: 'error', path: ['nodes', id, 'next'], message: `goto loop through ${[...seen].join(' → ')}` });
        break;
      }
      seen.add(currentId);
      currentId = current.next;
      current = menu.nodes[currentId];
    }
  }

  for (const [id, node] of nodes) {
    if (node.type === 'choice') {
      const keys = new Map<string, number>();
      node.options.forEach((option, i) => {
        const key = optionKey(option, i);
        if ((RESERVED_INPUTS as readonly string[]).includes(key)) {
          problems.push({ rule: 'reserved-key', severity: 'error', path: ['nodes', id, 'options', i], message: `option "${key}" collides with the reserved ${key === '98' ? 'next page' : key === '0' ? 'back' : 'home'} input` });
        }
        const first = keys.get(key);
        if (first !== undefined) problems.push({ rule: 'duplicate-key', severity: 'error', path: ['nodes', id, 'options', i], message: `option "${key}" is also option ${first + 1}` });
        else keys.set(key, i);
      });
    }
    for (const [path, text] of textsOf(node)) {
      if (typeof text === 'string') continue;
      for (const language of languages) {
        if (text[language] === undefined) {
          // French and English are owed on every string; a national language may be partial,
          // each missing string shown in French (the fallback), which is worth a warning only.
          const severity = LANGUAGE_INFO[language].required ? 'error' : 'warning';
          problems.push({ rule: 'missing-translation', severity, path: ['nodes', id, ...path], message: `no ${language} text (falls back to French)` });
        }
      }
    }
    if (node.type === 'choice' || node.type === 'input' || node.type === 'message') {
      for (const language of languages) problems.push(...screenProblems(menu, id, node, language, limit));
    }
    if (node.type === 'message' && surveyChannelOf(node) === 'ussd') {
      for (const language of languages) problems.push(...surveyProblems(menu, id, node, language, limit));
    }
  }
  return problems;
}

function textsOf(node: MenuNode): [(string | number)[], LocalizedText][] {
  const texts: [(string | number)[], LocalizedText][] = [];
  if ('text' in node) texts.push([['text'], node.text]);
  if (node.type === 'choice') node.options.forEach((o, i) => texts.push([['options', i, 'label'], o.label]));
  if (node.type === 'input' && node.invalid) texts.push([['invalid'], node.invalid]);
  return texts;
}

/** Renders a screen as a citizen would see it, with sample values, and reports what overflows. */
function screenProblems(menu: Menu, id: string, node: Extract<MenuNode, { type: 'choice' | 'input' | 'message' }>, language: Language, limit: number): LintProblem[] {
  const vars = sampleVars(menu, language);
  const render = (t: LocalizedText) => renderTemplate(localize(t, language), vars, menu, language);
  const lines = render(node.text).split('\n');
  if (node.type === 'choice') node.options.forEach((o, i) => lines.push(`${optionKey(o, i)}.${render(o.label)}`));
  if (node.type === 'input' && node.invalid) lines.unshift(render(node.invalid));
  const ui = uiText(language);
  const closes = node.type === 'message' && node.next === undefined;
  const footer = closes || id === menu.start ? [] : [`${ui.back} ${ui.home}`];
  // Sized as the engine shows it: in the language's GSM-7 spelling when that saves pages.
  const pages = screenPages(language, lines, { footer, more: ui.more, limit });
  if (pages.length === 1) return [];
  const whole = [...lines, ...footer].join('\n');
  const measure = measureText(whole);
  let message = `${pages.length} pages in ${language}: ${measure.units} ${measure.encoding === 'GSM-7' ? 'GSM-7 characters' : 'UCS-2 characters'} for a ${unitLimit(limit, measure.encoding)}-character screen`;
  if (measure.encoding === 'UCS-2') {
    const spelled = LANGUAGE_INFO[language].gsm7 ? measureText(spellScreen(language, whole)) : undefined;
    if (spelled) {
      message += spelled.encoding === 'GSM-7' ? `; ${spelled.units} characters even in the ${language} GSM-7 spelling` : `; the ${language} GSM-7 spelling cannot write ${spelled.nonGsmCharacters.map((ch) => `"${ch}"`).join(', ')}`;
    } else {
      const advice = measure.nonGsmCharacters.map((ch) => {
        const spelling = gsm7Spelling(ch);
        return spelling === undefined ? `"${ch}" (no GSM-7 spelling)` : `"${ch}" → "${spelling}"`;
      });
      message += `; UCS-2 is forced by ${advice.join(', ')}`;
    }
  }
  // A question spread over pages is hard to answer on a keypad; a long message can be read page by page.
  return [{ rule: 'screen-too-long', severity: node.type === 'message' ? 'warning' : 'error', path: ['nodes', id, 'text'], message }];
}

/**
 * `survey: ussd` asks its question under the screen's last page, and only when both fit one
 * screen (the citizen must see the answer they came for): with sample values, says when it would
 * never be asked.
 */
function surveyProblems(menu: Menu, id: string, node: Extract<MenuNode, { type: 'message' }>, language: Language, limit: number): LintProblem[] {
  const vars = sampleVars(menu, language);
  const lines = renderTemplate(localize(node.text, language), vars, menu, language).split('\n');
  const last = paginate(lines, { footer: [], more: uiText(language).more, limit }).at(-1) ?? '';
  if (surveyQuestionScreen(last, language, limit) !== null) return [];
  const measure = measureText(`${last}\n${surveyUssdText('question', language)}`);
  return [
    {
      rule: 'survey-not-asked',
      severity: 'warning',
      path: ['nodes', id, 'survey'],
      message: `in ${language} the screen and the survey question take ${measure.units} ${measure.encoding} characters for a ${unitLimit(limit, measure.encoding)}-character screen: the screen closes without the survey`,
    },
  ];
}

/**
 * Sample values for sizing screens: the menu's own `samples`; for a variable shown through a
 * label table, the value whose label is longest in that language; for amounts, seven digits;
 * otherwise ten characters.
 */
export function sampleVars(menu: Menu, language: Language): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const node of Object.values(menu.nodes)) {
    for (const [, text] of textsOf(node)) {
      for (const match of localize(text, language).matchAll(PLACEHOLDER_PATTERN)) {
        const [, name, filter] = match;
        if (!name || vars[name] !== undefined) continue;
        const table = filter ? menu.labels[filter] : undefined;
        if (table) {
          const longest = Object.entries(table).sort((a, b) => localize(b[1], language).length - localize(a[1], language).length)[0];
          vars[name] = longest?.[0] ?? '';
        } else {
          vars[name] = filter === 'xof' ? '1900000' : 'XXXXXXXXXX';
        }
      }
    }
  }
  return { ...vars, ...menu.samples };
}
