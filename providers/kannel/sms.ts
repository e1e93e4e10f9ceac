import { neverReached, sendError, SmsFateUnknownError, type SendOutcome, type SmsRoute, type StatusMapping } from '../../src/sms/port.js';
import { startDeadline } from '../../src/lib/deadline.js';

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
  /**
   * `SMS_KANNEL_CALLBACK_SECRET`: carried in the `dlr-url` as `secret=`, since Kannel calls that
   * URL exactly as given and cannot add a header; the report route refuses a report without it.
   */
  callbackSecret?: string;
  fetch?: typeof fetch;
}

/** `%d` of a Kannel delivery report. 4 (buffered) only says the SMSC is still trying. */
export const KANNEL_DLR_TYPES: StatusMapping = { '1': 'delivered', '2': 'failed', '4': 'sent', '8': 'sent', '16': 'failed' };

/**
 * smsbox's answers to sendsms, read in order: the HTTP status and the start of the body. The
 * texts are smsbox's own (gw/smsbox.c, Kannel 1.4.5; captured in providers/kannel/fixtures.ts).
 * An answer not listed is explicit: `transient` with "unmapped" in the reason, retried a few times.
 */
export const KANNEL_SEND_ANSWERS: readonly { status: number; body: RegExp; outcome: SendOutcome }[] = [
  { status: 202, body: /^0: Accepted for delivery/, outcome: 'accepted' },
  { status: 202, body: /^3: Queued for later delivery/, outcome: 'accepted' },
  // Our username or password: nothing to do with the citizen's number.
  { status: 403, body: /^Authorization failed/, outcome: 'configuration' },
  { status: 403, body: /^Not routable/, outcome: 'permanent' },
  { status: 503, body: /^Temporal failure/, outcome: 'throttled' },
  { status: 400, body: /^Sender missing and no global set/, outcome: 'configuration' },
  // "… field misformed, rejected", "Missing receiver number, rejected", denied by white/black lists.
  { status: 400, body: /rejected\.?$/, outcome: 'permanent' },
];

export function kannelSendOutcome(status: number, body: string): SendOutcome | undefined {
  return KANNEL_SEND_ANSWERS.find((a) => a.status === status && a.body.test(body))?.outcome;
}

export function createKannelRoute(options: KannelOptions): SmsRoute {
  const send = options.fetch ?? fetch;
  return {
    name: 'kannel',
    async send(sms) {
      const secret = options.callbackSecret === undefined ? '' : `&secret=${encodeURIComponent(options.callbackSecret)}`;
      const dlrUrl = `${options.publicUrl.replace(/\/$/, '')}/sms/kannel/dlr?id=${encodeURIComponent(sms.id)}&type=%d&reply=%A${secret}`;
      const query = new URLSearchParams({
        username: options.username,
        password: options.password,
        from: sms.from ?? options.from,
        to: sms.to.replace(/^\+/, ''),
        text: sms.text,
        charset: 'UTF-8',
        coding: sms.encoding === 'GSM-7' ? '0' : '2',
        'dlr-mask': '31',
        'dlr-url': dlrUrl,
      });
      let res: Response;
      let body: string;
      const deadline = startDeadline(10_000);
      try {
        res = await send(`${options.sendsmsUrl.replace(/\/$/, '')}/cgi-bin/sendsms?${query}`, { signal: deadline.signal });
        body = (await res.text()).trim();
      } catch (error) {
        // Refused or unresolvable: smsbox never saw the request, a retry is safe. A time-out or a
        // connection cut after the request went may have queued it in smsbox: fate unknown.
        const reason = `kannel unreachable: ${error instanceof Error ? error.message : String(error)}`;
        throw neverReached(error) ? new Error(reason) : new SmsFateUnknownError(reason);
      } finally {
        deadline.clear();
      }
      const outcome = kannelSendOutcome(res.status, body);
      if (outcome !== 'accepted') throw sendError(outcome ?? 'transient', outcome ? `kannel ${res.status}: ${body}` : `kannel: unmapped answer ${res.status} ${body}`);
      return { providerMessageId: sms.id };
    },
  };
}
