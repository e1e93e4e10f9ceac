import { parsePhoneNumberFromString } from 'libphonenumber-js';

/**
 * One place where every phone number entering Guichet becomes E.164.
 *
 * Since 30 November 2024 Benin numbers have 10 digits: mobiles are `01` followed by the old
 * 8 digits. libphonenumber-js knows only the new plan, so the old 8-digit forms (with or
 * without the 229 country code) get their `01` here before it validates them.
 */

export const BENIN_OPERATORS = ['MTN', 'MOOV', 'CELTIIS'] as const;
export type BeninOperator = (typeof BENIN_OPERATORS)[number];

export type MsisdnResult =
  | { ok: true; e164: string; operator: BeninOperator | null }
  | { ok: false; reason: string };

/**
 * Operator by the two digits after `01`, from libphonenumber's carrier data. A hint only:
 * numbers are portable, so payment routing lets the citizen correct it.
 */
const OPERATOR_BY_PREFIX: Record<BeninOperator, readonly string[]> = {
  MTN: ['42', '46', '50', '51', '52', '53', '54', '56', '57', '59', '61', '62', '66', '67', '69', '90', '91', '96', '97'],
  MOOV: ['45', '55', '58', '60', '63', '64', '65', '68', '94', '95', '98', '99'],
  CELTIIS: ['40', '41', '43', '44', '47', '48'],
};

const operatorByPrefix = new Map<string, BeninOperator>(
  Object.entries(OPERATOR_BY_PREFIX).flatMap(([operator, prefixes]) =>
    prefixes.map((prefix) => [prefix, operator as BeninOperator] as const),
  ),
);

const BENIN_CODE = '229';

/** Turns whatever the operator or the citizen typed into the digits of a new-plan Benin number. */
function toNewPlanDigits(raw: string): string | null {
  // Separators people and gateways put in numbers; an unencoded `+` arrives as a space.
  let digits = raw.trim().replace(/[\s.\-()/]/g, '');
  if (digits.startsWith('+')) digits = digits.slice(1);
  else if (digits.startsWith('00')) digits = digits.slice(2);
  else if (digits.length === 8 || digits.length === 10) digits = BENIN_CODE + digits;
  if (!/^\d+$/.test(digits)) return null;
  if (!digits.startsWith(BENIN_CODE)) return null;
  const national = digits.slice(BENIN_CODE.length);
  if (national.length === 8) return BENIN_CODE + '01' + national;
  if (national.length === 10) return digits;
  return null;
}

/**
 * Every hop of a session carries the same number, and libphonenumber's validation is the
 * costliest part of parsing a hop: remember recent answers (bounded, oldest dropped first).
 */
const recent = new Map<string, MsisdnResult>();
const RECENT_MAX = 10_000;

export function normalizeMsisdn(raw: string): MsisdnResult {
  const known = recent.get(raw);
  if (known) return known;
  const result = normalizeUncached(raw);
  if (recent.size >= RECENT_MAX) recent.delete(recent.keys().next().value as string);
  recent.set(raw, result);
  return result;
}

function normalizeUncached(raw: string): MsisdnResult {
  if (raw.length > 32) return { ok: false, reason: 'phone number too long' };
  const digits = toNewPlanDigits(raw);
  if (!digits) return { ok: false, reason: 'not a Benin phone number' };
  const parsed = parsePhoneNumberFromString('+' + digits);
  if (!parsed || parsed.country !== 'BJ' || !parsed.isValid()) {
    return { ok: false, reason: 'not a valid Benin phone number' };
  }
  return { ok: true, e164: parsed.number, operator: operatorOf(parsed.number) };
}

/** The operator a Benin E.164 number most likely belongs to, or null for fixed lines and unknown ranges. */
export function operatorOf(e164: string): BeninOperator | null {
  if (!e164.startsWith('+22901')) return null;
  return operatorByPrefix.get(e164.slice(6, 8)) ?? null;
}
