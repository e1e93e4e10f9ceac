import { normalizeMsisdn } from '../../lib/msisdn.js';
import { MAX_INPUT_BYTES, type HopInput, type ParseResult, type UssdHop } from './port.js';

export interface HopFields {
  sessionId: string | undefined;
  phoneNumber: string | undefined;
  serviceCode: string | undefined;
  input: HopInput;
  isBegin: boolean;
  network?: string | undefined;
  hopId?: string | undefined;
  echo?: UssdHop['echo'];
  /** Whether every hop must name the service code (the wire format always sends it); default: opening hops only. */
  serviceCodeOnEveryHop?: boolean;
  /** The dialect's own names for the three required fields, so a refusal names what is on the wire. */
  wireNames: { sessionId: string; serviceCode: string; phoneNumber: string };
}

const utf8 = new TextEncoder();

/**
 * The checks every dialect owes a hop, in one place: required fields, sizes, encoding, and the
 * phone number normalised to E.164.
 */
export function buildHop(fields: HopFields): ParseResult {
  const { sessionId, phoneNumber } = fields;
  // Only an opening hop needs the service code: later hops follow the session's own menu.
  const codeRequired = fields.isBegin || fields.serviceCodeOnEveryHop === true;
  const serviceCode = fields.serviceCode ?? (codeRequired ? undefined : '');
  const missing = (
    [
      [fields.wireNames.sessionId, sessionId],
      [fields.wireNames.serviceCode, serviceCode],
      [fields.wireNames.phoneNumber, phoneNumber],
    ] as const
  )
    .filter(([, value]) => value === undefined || (value === '' && codeRequired))
    .map(([name]) => name);
  if (missing.length > 0 || !sessionId || serviceCode === undefined || !phoneNumber) {
    return { ok: false, kind: 'reject', status: 400, reason: `missing field(s): ${missing.join(', ')}` };
  }
  // Percent-escapes of invalid UTF-8 decode to U+FFFD: refuse rather than guess.
  if ([sessionId, serviceCode, phoneNumber, fields.input.text].some((v) => v.includes('\uFFFD'))) {
    return { ok: false, kind: 'reject', status: 400, reason: 'fields are not valid UTF-8' };
  }
  if (sessionId.length > 128 || serviceCode.length > 64) {
    return { ok: false, kind: 'reject', status: 400, reason: `${fields.wireNames.sessionId} or ${fields.wireNames.serviceCode} too long` };
  }
  if (utf8.encode(fields.input.text).length > MAX_INPUT_BYTES) return { ok: false, kind: 'end', reason: 'inputTooLong' };
  // An unencoded `+` arrives as a space; the normaliser accepts both.
  const msisdn = normalizeMsisdn(phoneNumber);
  if (!msisdn.ok) return { ok: false, kind: 'end', reason: 'notBeninNumber' };
  const hop: UssdHop = {
    sessionId,
    msisdn: msisdn.e164,
    serviceCode: serviceCode.trim(),
    input: fields.input,
    isBegin: fields.isBegin,
  };
  if (fields.network) hop.network = fields.network;
  if (fields.hopId !== undefined) hop.hopId = fields.hopId;
  if (fields.echo) hop.echo = fields.echo;
  return { ok: true, hop };
}
