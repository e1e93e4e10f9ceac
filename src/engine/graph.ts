import type { Menu, MenuNode } from './schema.js';
import { localize } from './template.js';
import { optionKey } from './engine.js';

/** The menu's flow as a Mermaid flowchart: screens as boxes, actions as hexagons, edges labelled. */
export function menuToMermaid(menu: Menu): string {
  const ids = new Map(Object.keys(menu.nodes).map((id, i) => [id, `n${i}`]));
  const lines = ['flowchart TD'];
  const label = (text: string) => text.replace(/"/g, "'").replace(/\n/g, ' ').slice(0, 40);
  for (const [id, node] of Object.entries(menu.nodes)) {
    const ref = ids.get(id)!;
    lines.push(`  ${ref}${shape(id, node, label)}`);
  }
  for (const [id, node] of Object.entries(menu.nodes)) {
    const from = ids.get(id)!;
    for (const [edge, to] of edges(node)) {
      const target = ids.get(to);
      if (target) lines.push(edge ? `  ${from} -- "${label(edge)}" --> ${target}` : `  ${from} --> ${target}`);
    }
  }
  return lines.join('\n') + '\n';

  function shape(id: string, node: MenuNode, clean: (t: string) => string): string {
    const title = 'text' in node ? `${id}: ${clean(localize(node.text, menu.defaultLanguage))}` : id;
    if (node.type === 'action') return `{{"${id}: ${node.service}"}}`;
    if (node.type === 'goto') return `(["${id}"])`;
    if (node.type === 'message' && node.next === undefined) return `(["${title}"])`;
    return `["${title}"]`;
  }
}

function edges(node: MenuNode): [string, string][] {
  switch (node.type) {
    case 'choice':
      return node.options.map((o, i) => [`${optionKey(o, i)} ${localize(o.label, 'fr')}`, o.next]);
    case 'input':
      return [[`{{${node.store}}}`, node.next]];
    case 'goto':
      return [['', node.next]];
    case 'message':
      return node.next === undefined ? [] : [['', node.next]];
    case 'action':
      return [...Object.entries(node.on), ['otherwise', node.otherwise] as [string, string]];
  }
}
