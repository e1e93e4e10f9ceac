/**
 * The dialled string of a first hop, as `*123#` or `*123*1*PS00373-240001#`. Dialects that carry
 * what the citizen dialled give it whole (dial-through); some give only the code's digits.
 */
export function dialledString(candidate: string | undefined, code: string | undefined): string | undefined {
  const dialled = candidate?.trim();
  if (dialled && /^\*[^#]*#$/.test(dialled)) return dialled;
  const digits = code?.trim();
  if (!digits) return undefined;
  if (/^\*[^#]*#$/.test(digits)) return digits;
  return /^[\d*]+$/.test(digits) ? `*${digits}#` : undefined;
}
