import { maskMsisdn } from '../../lib/mask.js';

/**
 * What a USSD log line may say about a session and a dialled code. Phone-keyed dialects make the
 * number the session id (Nalo without `SESSIONID`: `tel:+229…`; SMPP: `source_addr:session`), and
 * a dial-through carries whatever the citizen typed after the code (a request number, an NPI, a
 * birth date): neither reaches a log whole.
 */

/** Every run of 7 digits or more (a phone number, an NPI) masked as numbers are; other ids unchanged. */
export function sessionForLog(sessionId: string): string {
  return sessionId.replace(/\+?\d{7,}/g, (digits) => maskMsisdn(digits));
}

/** The code that was dialled, without what follows it: `*123*1*…#` → `*123#+2` (two inputs after the code). */
export function dialledForLog(serviceCode: string): string {
  const segments = serviceCode.replace(/^\*/, '').replace(/#$/, '').split('*');
  const code = /^\d{1,8}$/.test(segments[0] ?? '') ? segments[0] : '?';
  return segments.length > 1 ? `*${code}#+${segments.length - 1}` : `*${code}#`;
}
