import { LineCounter, isNode, parseDocument } from 'yaml';
import { z } from 'zod';
import { LANGUAGES, type Language } from '../engine/schema.js';
import { REQUEST_STATUSES } from '../portal/port.js';
import { parseDelay } from './schedule.js';

/**
 * The statuses an agency reports through `POST /v1/requests/status-events`: the portal's own, and
 * `collected` (the citizen took the document: what ends "ready but not collected").
 */
export const AGENCY_STATUSES = [...REQUEST_STATUSES, 'collected'] as const;
export type AgencyStatus = (typeof AGENCY_STATUSES)[number];

/**
 * What the payment flow reports by itself (never through the API): a payment started, and one
 * that went through. A failed or expired payment reports nothing: the fee is still unpaid, so a
 * "payment not finished" reminder stays due.
 */
export const PAYMENT_STATUSES = ['payment_started', 'payment_succeeded'] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const TRACKED_STATUSES = [...AGENCY_STATUSES, ...PAYMENT_STATUSES] as const;
export type TrackedStatus = (typeof TRACKED_STATUSES)[number];

/** What a reminder's text may name. `amountXof` only where a payment set it. */
const PLACEHOLDERS = ['requestNumber', 'amountXof'] as const;

/** A reminder's longest text: two GSM-7 segments (a reminder is a sentence, not a letter). */
const MAX_TEXT_CHARS = 306;

/** The longest delay a rule may have; request states are kept a little longer than this. */
export const MAX_DELAY_MS = 90 * 24 * 3_600_000;

const ReminderText = z
  .string()
  .min(1)
  .max(MAX_TEXT_CHARS, `at most ${MAX_TEXT_CHARS} characters (two SMS)`)
  .superRefine((text, ctx) => {
    for (const [, name] of text.matchAll(/\{\{(\w+)\}\}/g)) {
      if (!(PLACEHOLDERS as readonly string[]).includes(name!)) ctx.addIssue({ code: 'custom', message: `unknown placeholder {{${name}}} (known: ${PLACEHOLDERS.join(', ')})` });
    }
  });

const Texts = z
  .partialRecord(z.enum(LANGUAGES), ReminderText)
  .refine((texts) => texts.fr !== undefined, 'a French text (fr) is required: it is what every other language falls back to');

const Rule = z.strictObject({
  /** Names the rule in job ids and logs: stable across edits of the text. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'lower-case letters, digits and hyphens, at most 40'),
  status: z.enum(TRACKED_STATUSES),
  after: z
    .string()
    .transform((text, ctx) => {
      const ms = parseDelay(text);
      if (ms === null || ms < 60_000 || ms > MAX_DELAY_MS) {
        ctx.addIssue({ code: 'custom', message: `"${text}" is not a delay between 1m and 90d (write e.g. 30m, 1h, 7d)` });
        return z.NEVER;
      }
      return ms;
    }),
  text: Texts,
});

const ReminderFile = z
  .strictObject({
    /**
     * Request numbers this agency's payment rules apply to (prefixes such as `PS00373-`): payments
     * do not name an agency, their request number does.
     */
    requestPrefixes: z.array(z.string().regex(/^[A-Z0-9-]{2,20}$/, 'upper-case letters, digits and hyphens')).default([]),
    reminders: z.array(Rule).min(1),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.reminders.forEach((rule, i) => {
      if (seen.has(rule.id)) ctx.addIssue({ code: 'custom', path: ['reminders', i, 'id'], message: `"${rule.id}" is used twice` });
      seen.add(rule.id);
    });
    const payment = file.reminders.findIndex((rule) => (PAYMENT_STATUSES as readonly string[]).includes(rule.status));
    if (payment >= 0 && file.requestPrefixes.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['reminders', payment, 'status'], message: 'a payment rule needs requestPrefixes: the request numbers whose payments it follows' });
    }
  });

export interface ReminderRule {
  id: string;
  status: TrackedStatus;
  afterMs: number;
  text: Partial<Record<Language, string>> & { fr: string };
}

/** One agency's reminders (`menus/reminders/<agency>.yaml`). */
export interface AgencyReminders {
  agency: string;
  requestPrefixes: readonly string[];
  rules: readonly ReminderRule[];
  source: string;
}

/** A reminders file that cannot be used, with each problem's path and line for the agency to fix it. */
export class ReminderRulesError extends Error {
  override name = 'ReminderRulesError';
  constructor(source: string, problems: readonly { path: string; line?: number; reason: string }[]) {
    super(`${source}: invalid reminders\n` + problems.map((p) => `  ${source}${p.line ? `:${p.line}` : ''}: ${p.path || '(root)'}: ${p.reason}`).join('\n'));
  }
}

/** Agency names as the notification API knows them (`NOTIFY_API_KEYS`): the file's name. */
export const AGENCY_NAME = /^[a-z0-9][a-z0-9_-]{0,39}$/;

/** Parses one agency's reminders file. Pure: the caller reads the file and names the agency. */
export function parseReminderRules(yamlText: string, agency: string, source: string): AgencyReminders {
  if (!AGENCY_NAME.test(agency)) throw new ReminderRulesError(source, [{ path: '', reason: `"${agency}" is not an agency name (the file is named for its agency: lower-case letters, digits, - and _)` }]);
  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ReminderRulesError(source, doc.errors.map((e) => ({ path: '', line: e.linePos?.[0]?.line, reason: e.message.split('\n')[0] ?? e.message })));
  }
  const result = ReminderFile.safeParse(doc.toJS());
  if (!result.success) {
    throw new ReminderRulesError(
      source,
      result.error.issues.map((issue) => {
        const node = doc.getIn(issue.path as (string | number)[], true);
        const offset = isNode(node) ? node.range?.[0] : undefined;
        return { path: issue.path.join('.'), ...(offset === undefined ? {} : { line: lineCounter.linePos(offset).line }), reason: issue.message };
      }),
    );
  }
  return {
    agency,
    requestPrefixes: result.data.requestPrefixes,
    rules: result.data.reminders.map((rule) => ({ id: rule.id, status: rule.status, afterMs: rule.after, text: rule.text as ReminderRule['text'] })),
    source,
  };
}

/**
 * Every agency's reminders together: refuses two agencies claiming the payments of the same
 * request numbers (one payment would remind twice).
 */
export function combineReminderRules(files: readonly AgencyReminders[]): ReadonlyMap<string, AgencyReminders> {
  const byAgency = new Map<string, AgencyReminders>();
  for (const file of files) {
    if (byAgency.has(file.agency)) throw new ReminderRulesError(file.source, [{ path: '', reason: `agency "${file.agency}" has reminders in two files` }]);
    for (const other of byAgency.values()) {
      for (const prefix of file.requestPrefixes) {
        const clash = other.requestPrefixes.find((p) => p.startsWith(prefix) || prefix.startsWith(p));
        if (clash !== undefined) throw new ReminderRulesError(file.source, [{ path: 'requestPrefixes', reason: `"${prefix}" overlaps "${clash}" of ${other.source}: a payment would be followed by two agencies` }]);
      }
    }
    byAgency.set(file.agency, file);
  }
  return byAgency;
}

/** The text of a rule in a language, French when the rule has none in it. */
export function ruleText(rule: ReminderRule, language: Language): string {
  return rule.text[language] ?? rule.text.fr;
}
