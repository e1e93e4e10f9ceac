import type { Language, LocalizedText, Menu } from './schema.js';

export type TemplateVars = Readonly<Record<string, string | undefined>>;

export function localize(text: LocalizedText, language: Language): string {
  if (typeof text === 'string') return text;
  return text[language] ?? text.fr;
}

/** 1900 → "1 900": French grouping with a plain space, which GSM-7 can carry. */
export function formatXof(amountXof: number): string {
  return String(Math.trunc(amountXof)).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

/** `{{name}}` or `{{name|filter}}`. */
export const PLACEHOLDER_PATTERN = /\{\{\s*([a-zA-Z][a-zA-Z0-9_]*)\s*(?:\|\s*([a-zA-Z][a-zA-Z0-9_]*)\s*)?\}\}/g;

/**
 * Fills `{{name}}` and `{{name|filter}}`. Filters: `xof` groups an amount's digits; any other
 * name looks the value up in the menu's `labels` table of that name, in the citizen's language.
 * A missing variable renders as nothing rather than as braces on a citizen's phone.
 */
export function renderTemplate(template: string, vars: TemplateVars, menu: Pick<Menu, 'labels'>, language: Language): string {
  return template.replace(PLACEHOLDER_PATTERN, (_match, name: string, filter: string | undefined) => {
    const value = vars[name] ?? '';
    if (filter === undefined) return value;
    if (filter === 'xof') return /^\d+$/.test(value) ? formatXof(Number(value)) : value;
    const label = menu.labels[filter]?.[value];
    return label === undefined ? value : localize(label, language);
  });
}
