import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MenuError, parseMenu } from '../../src/engine/menu-parse.js';
import { MENUS_DIR } from '../../testkit/harness.js';

const valid = `id: m
title: T
serviceCodes: ["*555#"]
start: home
nodes:
  home:
    type: message
    text: Bonjour
`;

function problemsOf(yaml: string): string {
  try {
    parseMenu(yaml, 'menus/broken.yaml');
  } catch (error) {
    if (error instanceof MenuError) return error.message;
    throw error;
  }
  throw new Error('expected the menu to be refused');
}

describe('menu files', () => {
  it('accepts a minimal menu and stamps a content version', () => {
    const menu = parseMenu(valid, 'm.yaml');
    expect(menu.version).toMatch(/^[0-9a-f]{16}$/);
    expect(parseMenu(valid + '\n', 'm.yaml').version).not.toBe(menu.version);
  });

  const broken: { name: string; yaml: string; expected: RegExp }[] = [
    { name: 'goto to nothing', yaml: valid.replace('type: message\n    text: Bonjour', 'type: goto\n    next: nowhere'), expected: /menus\/broken\.yaml:8: nodes\.home\.next: no node named "nowhere"/ },
    { name: 'unknown start', yaml: valid.replace('start: home', 'start: accueil'), expected: /broken\.yaml:4: start: no node named "accueil"/ },
    { name: 'unknown node type', yaml: valid.replace('type: message', 'type: menu'), expected: /nodes\.home\.type/ },
    { name: 'bad service code', yaml: valid.replace('"*555#"', '"555"'), expected: /serviceCodes\.0: a service code looks like/ },
    { name: 'YAML syntax error', yaml: valid + '  bad: [unclosed\n', expected: /broken\.yaml:\d+: \(root\):/ },
    { name: 'undeclared service', yaml: valid.replace('type: message\n    text: Bonjour', 'type: action\n    service: x.y\n    on: {}\n    otherwise: home'), expected: /nodes\.home\.service: service "x\.y" is not declared/ },
    { name: 'invalid regex', yaml: valid.replace('type: message\n    text: Bonjour', 'type: input\n    text: Q\n    store: v\n    validate: { pattern: "([" }\n    next: home'), expected: /validate\.pattern: not a valid regular expression/ },
    { name: 'misspelt key', yaml: valid.replace('text: Bonjour', 'txt: Bonjour'), expected: /nodes\.home/ },
    { name: 'duplicate key', yaml: valid + '  home:\n    type: message\n    text: Encore\n', expected: /Map keys must be unique/ },
  ];

  it.each(broken)('refuses $name with file, line, path and reason', ({ yaml, expected }) => {
    expect(problemsOf(yaml)).toMatch(expected);
  });

  it('loads the national menu', () => {
    const menu = parseMenu(readFileSync(`${MENUS_DIR}service-public.yaml`, 'utf8'), 'service-public.yaml');
    expect(menu.serviceCodes).toContain('*123#');
    expect(Object.keys(menu.nodes)).toEqual(expect.arrayContaining(['home', 'track.ask', 'pay.ask', 'ccsp.department', 'language']));
  });
});
