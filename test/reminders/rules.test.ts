import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { combineReminderRules, parseReminderRules, ruleText, ReminderRulesError } from '../../src/reminders/rules.js';
import { loadReminderFiles } from '../../src/runtime/node/reminder-files.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('the shipped reminders', () => {
  it('menus/reminders/portail.yaml loads: ready after 7 days, information after 3, payment after 1 hour', async () => {
    const rules = await loadReminderFiles(join(ROOT, 'menus'));
    const portail = rules.get('portail')!;
    expect(portail.requestPrefixes).toEqual(['PS']);
    expect(portail.rules.map((r) => [r.id, r.status, r.afterMs])).toEqual([
      ['ready-not-collected', 'ready', 7 * 86_400_000],
      ['info-still-pending', 'info_requested', 3 * 86_400_000],
      ['payment-not-finished', 'payment_started', 3_600_000],
    ]);
  });

  it('a folder without reminders/ has none', async () => {
    expect((await loadReminderFiles(join(ROOT, 'test', 'fixtures'))).size).toBe(0);
  });
});

const good = `
requestPrefixes: [PS]
reminders:
  - id: ready-not-collected
    status: ready
    after: 7d
    text:
      fr: "Votre demande {{requestNumber}} est disponible."
`;

describe('texts fall back to French', () => {
  it('a language without a text gets the French one', () => {
    const rule = parseReminderRules(good, 'portail', 'portail.yaml').rules[0]!;
    expect(ruleText(rule, 'en')).toBe('Votre demande {{requestNumber}} est disponible.');
  });
});

describe('a broken file is refused with the path, the line and what is wrong', () => {
  // name, file, what the message must say (line included where the YAML has one)
  const rows: [string, string, string][] = [
    ['no French text', good.replace('fr: "Votre', 'en: "Votre'), 'portail.yaml:8: reminders.0.text: a French text (fr) is required'],
    ['an unknown status', good.replace('status: ready', 'status: done'), 'portail.yaml:5: reminders.0.status: Invalid option'],
    ['a delay in words', good.replace('after: 7d', 'after: a week'), 'portail.yaml:6: reminders.0.after: "a week" is not a delay between 1m and 90d'],
    ['a delay over 90 days', good.replace('after: 7d', 'after: 91d'), 'reminders.0.after: "91d" is not a delay between 1m and 90d'],
    ['an unknown placeholder', good.replace('{{requestNumber}}', '{{npi}}'), 'reminders.0.text.fr: unknown placeholder {{npi}}'],
    ['a field the schema does not know', good.replace('    after: 7d', '    after: 7d\n    channel: sms'), 'reminders.0: Unrecognized key: "channel"'],
    ['the same id twice', good + good.split('reminders:\n')[1]!, 'reminders.1.id: "ready-not-collected" is used twice'],
    ['a payment rule without request prefixes', good.replace('requestPrefixes: [PS]\n', '').replace('status: ready', 'status: payment_started'), 'reminders.0.status: a payment rule needs requestPrefixes'],
    ['a text over two SMS', good.replace('est disponible.', 'x'.repeat(400)), 'reminders.0.text.fr: at most 306 characters'],
    ['not YAML', 'reminders: [', 'portail.yaml:1: (root):'],
  ];
  it.each(rows)('%s', (_name, text, expected) => {
    expect(() => parseReminderRules(text, 'portail', 'portail.yaml')).toThrow(ReminderRulesError);
    expect(() => parseReminderRules(text, 'portail', 'portail.yaml')).toThrow(expected);
  });

  it('a file named for no possible agency is refused', () => {
    expect(() => parseReminderRules(good, 'Portail Public', 'Portail Public.yaml')).toThrow('is not an agency name');
  });

  it('two agencies claiming the payments of the same request numbers are refused', () => {
    const a = parseReminderRules(good, 'portail', 'portail.yaml');
    const b = parseReminderRules(good.replace('[PS]', '[PS00373-]'), 'anip', 'anip.yaml');
    expect(() => combineReminderRules([a, b])).toThrow('"PS00373-" overlaps "PS" of portail.yaml');
  });

  it('the shipped file is not changed by these tests', () => {
    expect(readFileSync(join(ROOT, 'menus', 'reminders', 'portail.yaml'), 'utf8')).toContain('id: ready-not-collected');
  });
});
