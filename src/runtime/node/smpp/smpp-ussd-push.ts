import type { Pdu } from 'smpp';
import { ussnConfirmFrom, ussnSubmit } from '../../../../providers/smpp-ussd/push.js';
import type { UssdPushOutcome, UssdPushRequest, UssdPushRoute } from '../../../ussd-push/port.js';
import { SmppSubmitError, type SmppLink } from './smpp-link.js';

/** Default wait for the handset's USSN confirm: a handset on the network answers within seconds. */
export const DEFAULT_CONFIRM_TIMEOUT_MS = 20_000;

export interface SmppUssdPushOptions {
  /** Our short code as the push's sender (`USSD_PUSH_FROM`). */
  from: string;
  /** How long after the `submit_sm_resp` the USSN confirm may take (`USSD_PUSH_CONFIRM_TIMEOUT_MS`). */
  confirmTimeoutMs?: number;
}

/**
 * USSD push on an operator's SMPP link (the one serving its USSD dialogues): `submit_sm` with
 * `ussd_service_op` 3 (USSN request); an error `submit_sm_resp` is `refused`, none at all (or the link
 * down) `failed`; then the `deliver_sm` with `ussd_service_op` 19 (USSN confirm) from the handset's
 * number is `confirmed`, its absence within the time-out `unanswered`. A handset holds one USSD
 * dialogue at a time and the confirm names only the number, so pushes to one number go one after
 * the other on a link; the confirm is matched by number.
 */
export function createSmppUssdPushRoute(name: string, link: SmppLink, options: SmppUssdPushOptions): UssdPushRoute {
  const confirmTimeoutMs = options.confirmTimeoutMs ?? DEFAULT_CONFIRM_TIMEOUT_MS;
  /** The push waiting for its confirm, by number. */
  const waiting = new Map<string, () => void>();
  /** Per number, the push under way: the next waits for it. */
  const lanes = new Map<string, Promise<unknown>>();

  link.interceptUssd((pdu: Pdu) => {
    const number = ussnConfirmFrom({ ussd_service_op: typeof pdu.ussd_service_op === 'number' ? pdu.ussd_service_op : undefined, source_addr: String(pdu.source_addr ?? '') });
    if (!number) return false;
    // A confirm nobody waits for (late, repeated) is still ours: no dialogue to hand it to.
    waiting.get(number)?.();
    return true;
  });

  const pushNow = async (request: UssdPushRequest): Promise<UssdPushOutcome> => {
    let confirmed!: () => void;
    // Listening before the submit: an SMSC may deliver the confirm before its submit_sm_resp.
    const confirm = new Promise<void>((resolve) => (confirmed = resolve));
    waiting.set(request.to, confirmed);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      try {
        await link.submit(ussnSubmit(request.to, request.text, options.from), confirmTimeoutMs);
      } catch (error) {
        if (error instanceof SmppSubmitError && error.commandStatus !== undefined) return { kind: 'refused', detail: `submit_sm_resp status 0x${error.commandStatus.toString(16).padStart(8, '0')}` };
        return { kind: 'failed', detail: error instanceof Error ? error.message : String(error) };
      }
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), confirmTimeoutMs);
        timer.unref();
      });
      const answer = await Promise.race([confirm.then(() => 'confirm' as const), timedOut]);
      return answer === 'confirm' ? { kind: 'confirmed', detail: 'USSN confirm (ussd_service_op 19)' } : { kind: 'unanswered', detail: `no USSN confirm within ${confirmTimeoutMs} ms` };
    } finally {
      clearTimeout(timer);
      if (waiting.get(request.to) === confirmed) waiting.delete(request.to);
    }
  };

  return {
    name,
    push(request) {
      const previous = lanes.get(request.to) ?? Promise.resolve();
      const run = previous.then(() => pushNow(request));
      const settled = run.catch(() => undefined);
      lanes.set(request.to, settled);
      void settled.then(() => {
        if (lanes.get(request.to) === settled) lanes.delete(request.to);
      });
      return run.catch((error: unknown) => ({ kind: 'failed', detail: error instanceof Error ? error.message : String(error) }));
    },
  };
}
