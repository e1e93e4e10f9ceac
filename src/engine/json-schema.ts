import { z } from 'zod';
import { MenuFile } from './schema.js';

/**
 * The menu format as JSON Schema, generated from the zod schema so the two cannot drift; menu
 * files point editors at it (`# yaml-language-server: $schema=../schema/menu.schema.json`).
 * Checks that need the whole file (unknown nodes, undeclared services) stay in zod and the linter.
 */
export function menuJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(MenuFile, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return { ...schema, title: 'Guichet USSD menu', $id: 'https://guichet.bj/schema/menu.schema.json' };
}
