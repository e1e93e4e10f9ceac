/**
 * Personal data never reaches logs whole. A masked number keeps the country and operator
 * prefix (useful to diagnose routing) and the last two digits (useful to tell two callers apart).
 */
export function maskMsisdn(msisdn: string): string {
  if (msisdn.length <= 6) return '*'.repeat(msisdn.length);
  const keepStart = msisdn.startsWith('+229') ? 8 : 4;
  const start = msisdn.slice(0, Math.min(keepStart, msisdn.length - 4));
  return start + '*'.repeat(msisdn.length - start.length - 2) + msisdn.slice(-2);
}

/** An NPI (10 digits) keeps only its last two digits. */
export function maskNpi(npi: string): string {
  return '*'.repeat(Math.max(0, npi.length - 2)) + npi.slice(-2);
}
