import { PermanentSmsError, ThrottledSmsError, type SmsRoute, type StatusMapping } from '../../src/sms/sms-route.js';

/**
 * Kannel's sendsms HTTP interface (smsbox). Kannel returns no message id, so Guichet's own id
 * rides in the `dlr-url` and comes back with every delivery report (`%d` the report type, `%A` the
 * SMSC's answer). `coding=2` with `charset=UTF-8` for UCS-2 text: the default 7-bit coding would
 * turn every non-GSM character into `?`.
 *
 * @see https://www.kannel.org/download/1.4.5/userguide-1.4.5/userguide.html#AEN5058
 */
export interface KannelOptions {
  /** smsbox's sendsms address, e.g. `http://127.0.0.1:13013`. */
  sendsmsUrl: string;
  username: string;
  password: string;
  /** Sender id or short code shown to the citizen. */
  from: string;
  /** Where Kannel reaches Guichet for reports: `{publicUrl}/sms/kannel/dlr`. */
  publicUrl: string;
  fetch?: typeof fetch;
}

/** `%d` of a Kannel delivery report. 4 (buffered) only says the SMSC is still trying. */
export const KANNEL_DLR_TYPES: StatusMapping = { '1': 'delivered', '2': 'failed', '4': 'sent', '8': 'sent', '16': 'failed' };

export function createKannelRoute(options: KannelOptions): SmsRoute {
  const send = options.fetch ?? fetch;
  return {
    name: 'kannel',
    async send(sms) {
      const dlrUrl = `${options.publicUrl.replace(/\/$/, '')}/sms/kannel/dlr?id=${encodeURIComponent(sms.id)}&type=%d&reply=%A`;
      const query = new URLSearchParams({
        username: options.username,
        password: options.password,
        from: options.from,
        to: sms.to.replace(/^\+/, ''),
        text: sms.text,
        charset: 'UTF-8',
        coding: sms.encoding === 'GSM-7' ? '0' : '2',
        'dlr-mask': '31',
        'dlr-url': dlrUrl,
      });
      let res: Response;
      try {
        res = await send(`${options.sendsmsUrl.replace(/\/$/, '')}/cgi-bin/sendsms?${query}`, { signal: AbortSignal.timeout(10_000) });
      } catch (error) {
        throw new Error(`kannel unreachable: ${error instanceof Error ? error.message : String(error)}`);
      }
      const body = (await res.text()).trim();
      // "0: Accepted for delivery" (202) or "3: Queued for later delivery" (202).
      if (res.status === 202 || /^[03]:/.test(body)) return { providerMessageId: sms.id };
      if (res.status === 503 || /^4:/.test(body)) throw new ThrottledSmsError(`kannel: ${body}`, 1000);
      if (res.status === 403 || res.status === 400) throw new PermanentSmsError(`kannel refused: ${res.status} ${body}`);
      throw new Error(`kannel: ${res.status} ${body}`);
    },
  };
}
