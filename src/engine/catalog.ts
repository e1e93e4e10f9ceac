import { measureText, unitLimit } from '../lib/gsm7.js';
import { optionKey, spellScreen } from './engine.js';
import type { Language, ReviewState } from './languages.js';
import { sampleVars } from './lint.js';
import type { LocalizedText, Menu, MenuNode } from './schema.js';
import { PLACEHOLDER_PATTERN, localize, renderTemplate } from './template.js';
import { uiText } from './ui-text.js';

/**
 * The translatable strings of a menu, for translators (`guichet menus export`/`import`) and the
 * simulator's draft marks. A text written as one plain string (a proper name, `{{centres}}`) is
 * the same in every language and is not listed. Pure: no I/O.
 */

/** The object form of a localized text: `{fr, en?, fon?, yor?, review?}`. */
export type TranslatedText = Exclude<LocalizedText, string>;

export interface CatalogEntry {
  /** Path inside the menu file, e.g. `['nodes', 'track.ask', 'text']`. */
  path: (string | number)[];
  /** The path as one string, `/`-separated (node ids contain dots): `nodes/track.ask/text`. */
  key: string;
  text: TranslatedText;
  /** The screen the string appears on, for node texts. */
  node?: string;
}

/** Where a translation stands: `missing` (French is shown), `draft`, or `reviewed`. */
export type TranslationState = ReviewState | 'missing';

export function catalogOf(menu: Pick<Menu, 'title' | 'labels' | 'nodes'>): CatalogEntry[] {
  const entries: CatalogEntry[] = [];
  const add = (path: (string | number)[], text: LocalizedText | undefined, node?: string) => {
    if (text === undefined || typeof text === 'string') return;
    entries.push({ path, key: path.join('/'), text, ...(node !== undefined ? { node } : {}) });
  };
  add(['title'], menu.title);
  for (const [table, values] of Object.entries(menu.labels)) {
    for (const [value, label] of Object.entries(values)) add(['labels', table, value], label);
  }
  for (const [id, node] of Object.entries(menu.nodes)) {
    if ('text' in node) add(['nodes', id, 'text'], node.text, id);
    if (node.type === 'choice') node.options.forEach((option, i) => add(['nodes', id, 'options', i, 'label'], option.label, id));
    if (node.type === 'input') add(['nodes', id, 'invalid'], node.invalid, id);
  }
  return entries;
}

export function translationState(text: TranslatedText, language: Language): TranslationState {
  if (text[language] === undefined) return 'missing';
  // No mark: a text the team wrote and checked before review states existed (French, English).
  return text.review?.[language] ?? 'reviewed';
}

/** The draft strings a screen shows in a language: what the simulator marks. */
export function draftsOnScreen(menu: Menu, nodeId: string, language: Language): { key: string; text: string }[] {
  const node = menu.nodes[nodeId];
  if (!node) return [];
  const used = new Set<string>();
  for (const text of textsOf(node)) {
    for (const [, , filter] of localize(text, language).matchAll(PLACEHOLDER_PATTERN)) if (filter) used.add(filter);
  }
  return catalogOf(menu)
    .filter((entry) => entry.node === nodeId || (entry.path[0] === 'labels' && used.has(String(entry.path[1]))))
    .filter((entry) => translationState(entry.text, language) === 'draft')
    .map((entry) => ({ key: entry.key, text: entry.text[language] ?? '' }));
}

export interface Budget {
  /** Characters the string may take (placeholders as written) for its screen to fit one GSM-7 page. */
  gsm7: number;
  /** The same in UCS-2, i.e. when it keeps letters such as ɛ, ɔ, ẹ and tone marks. */
  ucs2: number;
}

/**
 * How long a string may be in a language for its screen to fit one page, the rest of the screen
 * rendered with the linter's sample values (in that language, French where it has none). For a
 * label, the tightest of the screens that show it. Undefined: not shown on a screen (the title).
 */
export function budgetOf(menu: Menu, entry: CatalogEntry, language: Language, screenLimit: number): Budget | undefined {
  const vars = sampleVars(menu, language);
  if (entry.path[0] === 'nodes' && entry.node !== undefined) {
    const node = menu.nodes[entry.node]!;
    const own = localize(entry.text, 'fr');
    // What the placeholders add once filled, as measured on the French source.
    const growth = renderTemplate(own, vars, menu, 'fr').length - own.length;
    return remaining(menu, entry.node, node, language, vars, entry.key, growth, screenLimit);
  }
  if (entry.path[0] === 'labels') {
    const table = String(entry.path[1]);
    let tightest: Budget | undefined;
    for (const [id, node] of Object.entries(menu.nodes)) {
      for (const text of textsOf(node)) {
        for (const [, name, filter] of localize(text, language).matchAll(PLACEHOLDER_PATTERN)) {
          if (filter !== table || !name) continue;
          const budget = remaining(menu, id, node, language, { ...vars, [name]: '' }, undefined, 0, screenLimit);
          if (budget && (!tightest || budget.gsm7 < tightest.gsm7)) tightest = budget;
        }
      }
    }
    return tightest;
  }
  return undefined;
}

function remaining(menu: Menu, id: string, node: MenuNode, language: Language, vars: Record<string, string>, without: string | undefined, growth: number, limit: number): Budget | undefined {
  if (node.type !== 'choice' && node.type !== 'input' && node.type !== 'message') return undefined;
  const render = (key: string, t: LocalizedText) => (key === without ? '' : renderTemplate(localize(t, language), vars, menu, language));
  const lines = [render(`nodes/${id}/text`, node.text)];
  if (node.type === 'choice') node.options.forEach((o, i) => lines.push(`${optionKey(o, i)}.${render(`nodes/${id}/options/${i}/label`, o.label)}`));
  if (node.type === 'input' && node.invalid) lines.unshift(render(`nodes/${id}/invalid`, node.invalid));
  const ui = uiText(language);
  const closes = node.type === 'message' && node.next === undefined;
  if (!closes && id !== menu.start) lines.push(`${ui.back} ${ui.home}`);
  const rest = lines.join('\n');
  const spelled = measureText(spellScreen(language, rest));
  const gsm7Used = spelled.encoding === 'GSM-7' ? spelled.units : rest.length;
  return {
    gsm7: Math.max(0, unitLimit(limit, 'GSM-7') - gsm7Used - growth),
    ucs2: Math.max(0, unitLimit(limit, 'UCS-2') - rest.length - growth),
  };
}

function textsOf(node: MenuNode): LocalizedText[] {
  const texts: LocalizedText[] = [];
  if ('text' in node) texts.push(node.text);
  if (node.type === 'choice') node.options.forEach((o) => texts.push(o.label));
  if (node.type === 'input' && node.invalid) texts.push(node.invalid);
  return texts;
}
