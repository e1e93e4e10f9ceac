import { latin1Text, utf16beText, utf8, utf8Text } from '../../src/lib/bytes.js';

/**
 * A citizen's SMS as smsbox hands it to an `sms-service` (Kannel 1.4.5, gw/smsbox.c and
 * gw/urltrans.c; samples captured from the real smsbox in providers/kannel/fixtures.ts):
 *
 * - `get-url = "…/sms/kannel/inbound?from=%p&to=%P&text=%a&id=%I&coding=%c&charset=%C"`: everything
 *   in the query. `%a` is the message's bytes URL-encoded (`+` for 0x20). With `mo-recode = false`
 *   (the default) a UCS-2 message keeps `coding=2&charset=UTF-16BE` and its raw UTF-16BE bytes, so
 *   the query cannot be read as UTF-8 form data: it is decoded byte by byte, then by `charset`.
 * - `post-url = "…/sms/kannel/inbound?from=%p&to=%P&id=%I"`: the text is the request body, its
 *   charset in `Content-Type` (`text/plain; charset="UTF-16BE"` for UCS-2), the coding in
 *   `X-Kannel-Coding`, the receiver in `X-Kannel-To`, the sender in `X-Kannel-From` only with
 *   `send-sender = true`. Query parameters, where present, win over the headers.
 */
export interface KannelInboundRequest {
  method: 'GET' | 'POST';
  /** The query string as received, without `?`, still percent-encoded. */
  rawQuery: string;
  header: (name: string) => string | undefined;
  body: Uint8Array;
}

export type KannelInbound = { ok: true; from: string; to: string | undefined; id: string; text: string } | { ok: false; reason: string };

/** `%c`: 0 GSM (7 bits), 1 8-bit binary, 2 UCS-2. */
const UCS2 = '2';
const BINARY = '1';

export function parseKannelInbound(request: KannelInboundRequest): KannelInbound {
  const query = rawQueryBytes(request.rawQuery);
  const param = (name: string) => {
    const bytes = query.get(name);
    return bytes === undefined ? undefined : utf8Text(bytes);
  };
  const contentType = request.header('content-type') ?? '';
  const from = param('from') ?? request.header('x-kannel-from');
  const to = param('to') ?? request.header('x-kannel-to');
  const id = param('id');
  const coding = param('coding') ?? request.header('x-kannel-coding');
  const charset = param('charset') ?? /charset="?([^";\s]+)"?/i.exec(contentType)?.[1];
  const textBytes = request.method === 'POST' ? request.body : query.get('text');
  const missing = [!from && 'from', !id && 'id', textBytes === undefined && 'text'].filter(Boolean);
  if (missing.length > 0) return { ok: false, reason: `missing ${missing.join(', ')} (see the get-url/post-url templates in the README)` };
  const text = decodeText(textBytes!, coding, charset);
  if (text === null) return { ok: false, reason: `unsupported charset ${charset ?? ''} for coding ${coding ?? ''}` };
  return { ok: true, from: from!, to: to || undefined, id: id!, text };
}

/** Query parameters as bytes: `%XX` is one byte, `+` is 0x20 (smsbox's octstr_url_encode). */
function rawQueryBytes(rawQuery: string): Map<string, Uint8Array> {
  const params = new Map<string, Uint8Array>();
  for (const pair of rawQuery.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const name = decodeURIComponent((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
    params.set(name, percentDecode(eq < 0 ? '' : pair.slice(eq + 1)));
  }
  return params;
}

function percentDecode(value: string): Uint8Array {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === '%' && /^[0-9a-fA-F]{2}$/.test(value.slice(i + 1, i + 3))) {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (ch === '+') bytes.push(0x20);
    else bytes.push(...utf8(ch));
  }
  return Uint8Array.from(bytes);
}

/** By `charset` when given (smsbox's `%C`), else by `coding`; null for a charset we cannot read. */
export function decodeText(bytes: Uint8Array, coding: string | undefined, charset: string | undefined): string | null {
  const label = charset?.trim().toUpperCase();
  if (label === 'UTF-16BE' || label === 'UCS-2' || label === 'UCS2' || (!label && coding === UCS2)) return utf16be(bytes);
  // "GSM" is how the 1.3 guide names 7-bit text; smsbox 1.4 hands it on as UTF-8.
  if (label === 'UTF-8' || label === 'GSM' || (!label && coding !== BINARY)) return utf8Text(bytes);
  // 8-bit data ("8-BIT", "binary") is not text a citizen typed: read it byte for byte.
  if (label === '8-BIT' || label === 'BINARY' || !label) return latin1Text(bytes);
  try {
    return new TextDecoder(label).decode(bytes);
  } catch {
    return null;
  }
}

function utf16be(bytes: Uint8Array): string {
  // An odd trailing byte cannot be a character: dropped rather than misread with the rest.
  return utf16beText(bytes);
}
