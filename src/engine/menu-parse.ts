import { LineCounter, parseDocument, isNode } from 'yaml';
import { MenuFile, type Menu } from './schema.js';

/** A menu file that cannot be served, with enough detail for the agency to fix it. */
export class MenuError extends Error {
  constructor(
    readonly source: string,
    readonly problems: readonly { path: string; line?: number; reason: string }[],
  ) {
    // A union reports the same miss once per branch: say it once.
    problems = problems.filter((p, i) => problems.findIndex((q) => q.path === p.path && q.reason === p.reason) === i);
    super(
      `${source}: invalid menu\n` +
        problems.map((p) => `  ${source}${p.line ? `:${p.line}` : ''}: ${p.path || '(root)'}: ${p.reason}`).join('\n'),
    );
    this.name = 'MenuError';
  }
}

/**
 * A short content hash (FNV-1a, 2×32 bits): sessions pin the version they started on. Not a
 * security boundary, only a change detector, so a synchronous hash that runs everywhere is enough.
 */
export function contentVersion(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

/** Parses and validates one menu file's text. Pure: the caller reads the file. */
export function parseMenu(yamlText: string, source: string): Menu {
  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new MenuError(
      source,
      doc.errors.map((e) => ({ path: '', line: e.linePos?.[0]?.line, reason: e.message.split('\n')[0] ?? e.message })),
    );
  }
  const result = MenuFile.safeParse(doc.toJS());
  if (!result.success) {
    throw new MenuError(
      source,
      result.error.issues.map((issue) => {
        const node = doc.getIn(issue.path as (string | number)[], true);
        const offset = isNode(node) ? node.range?.[0] : undefined;
        return {
          path: issue.path.join('.'),
          line: offset === undefined ? undefined : lineCounter.linePos(offset).line,
          reason: issue.message,
        };
      }),
    );
  }
  return { ...result.data, version: contentVersion(yamlText), source };
}

/** The 1-based line of a path inside a YAML text, when it exists there. */
export function lineOf(yamlText: string, path: readonly (string | number)[]): number | undefined {
  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter });
  for (let depth = path.length; depth > 0; depth--) {
    const node = doc.getIn(path.slice(0, depth), true);
    const offset = isNode(node) ? node.range?.[0] : undefined;
    if (offset !== undefined) return lineCounter.linePos(offset).line;
  }
  return undefined;
}
