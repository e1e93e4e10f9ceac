import smpp from 'smpp';
import type { Pdu, Session } from 'smpp';
import type { AddressInfo, Server } from 'node:net';
import { silentLogger } from '../src/observability/logger.js';
import { SmppLink, type SmppLinkOptions } from '../src/runtime/node/smpp/smpp-link.js';
import { until } from './until.js';

/**
 * A loopback SMSC built with the smpp package's server side: it binds the gateway, injects
 * USSD `deliver_sm`, records every `submit_sm`, and can throttle, delay or drop the link.
 */
export class TestSmsc {
  server!: Server;
  session: Session | undefined;
  readonly submits: Pdu[] = [];
  /** Every `submit_sm` as it arrives, answered or not: what left the gateway. */
  readonly submitsReceived: Pdu[] = [];
  /** A stalled SMSC: submits are taken and never answered. */
  answerSubmits = true;
  /** Every submit is answered with this `command_status` (an SMSC refusing), when set. */
  refuseWith: number | undefined;
  /** Called with each submit the SMSC accepted, after its `submit_sm_resp` (a handset answering a push). */
  onAccepted: ((pdu: Pdu) => void) | undefined;
  binds = 0;
  enquireLinks = 0;
  throttleNext = 0;
  responseDelayMs = 0;
  outstanding = 0;
  maxOutstanding = 0;
  /** `performance.now()` at each `submit_sm` received (throttled ones too), and at each throttling answer sent. */
  readonly submitArrivals: number[] = [];
  readonly throttledAt: number[] = [];
  /** `interface_version` of the last bind. */
  interfaceVersion: number | undefined;
  private waiters: ((pdu: Pdu) => void)[] = [];

  async start(): Promise<string> {
    this.server = smpp.createServer((session) => {
      session.on('bind_transceiver', (pdu: Pdu) => {
        const ok = pdu.system_id === 'guichet' && pdu.password === 'secret';
        session.send(pdu.response(ok ? {} : { command_status: smpp.ESME_RBINDFAIL }));
        if (!ok) return session.destroy();
        this.binds++;
        this.interfaceVersion = pdu.interface_version as number | undefined;
        this.session = session;
      });
      session.on('enquire_link', (pdu: Pdu) => {
        this.enquireLinks++;
        session.send(pdu.response());
      });
      session.on('unbind', (pdu: Pdu) => session.send(pdu.response()));
      session.on('submit_sm', (pdu: Pdu) => {
        this.submitArrivals.push(performance.now());
        this.submitsReceived.push(pdu);
        if (!this.answerSubmits) return;
        this.outstanding++;
        this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
        setTimeout(() => {
          this.outstanding--;
          if (this.throttleNext > 0) {
            this.throttleNext--;
            this.throttledAt.push(performance.now());
            session.send(pdu.response({ command_status: smpp.ESME_RTHROTTLED }));
            return;
          }
          if (this.refuseWith !== undefined) {
            session.send(pdu.response({ command_status: this.refuseWith }));
            return;
          }
          this.submits.push(pdu);
          session.send(pdu.response({ message_id: `m${this.submits.length}` }));
          this.waiters.shift()?.(pdu);
          this.onAccepted?.(pdu);
        }, this.responseDelayMs);
      });
      session.on('error', () => {});
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `smpp://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  nextSubmit(): Promise<Pdu> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no submit_sm within 5 s')), 5000);
      this.waiters.push((pdu) => {
        clearTimeout(timer);
        resolve(pdu);
      });
    });
  }

  /**
   * A citizen's USSD message, as the SMSC delivers it; returns the PDU's `sequence_number`.
   * `extra` adds or overrides fields: `sequence_number` to resend a PDU as the SMSC does when our
   * response did not reach it, ton/npi values.
   */
  deliver(op: number, message: string, info: readonly number[], from = '2290197000001', extra: Record<string, unknown> = {}): number {
    const pdu = new smpp.PDU('deliver_sm', {
      service_type: 'USSD',
      source_addr: from,
      destination_addr: '123',
      short_message: message,
      data_coding: 0,
      ussd_service_op: op,
      its_session_info: Buffer.from(info),
      ...extra,
    });
    this.session!.send(pdu);
    return pdu.sequence_number;
  }

  /** Any `deliver_sm` (a delivery receipt, a citizen's SMS). */
  deliverSm(fields: Record<string, unknown>): void {
    this.session!.send(new smpp.PDU('deliver_sm', fields));
  }

  /** A `deliver_sm`, resolving with the `command_status` of the ESME's `deliver_sm_resp`. */
  deliverSmAcked(fields: Record<string, unknown>): Promise<number> {
    return new Promise((resolve) => this.session!.send(new smpp.PDU('deliver_sm', fields), (resp: Pdu) => resolve(Number(resp.command_status))));
  }

  dropLink(): void {
    this.session?.socket.destroy();
    this.session = undefined;
  }

  async stop(): Promise<void> {
    this.session?.socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A loopback SMSC and a link of the gateway's bound to it. */
export interface BoundSmppLink {
  smsc: TestSmsc;
  link: SmppLink;
  /** Stops the link, then the SMSC. */
  close(): Promise<void>;
}

/**
 * Starts a `TestSmsc`, opens an `SmppLink` to it with the credentials it accepts and `options`,
 * lets `serve` put its handlers on the link (a USSD channel, an SMS route) before it starts, and
 * waits for the bind. The one way the tests get an SMPP peer.
 */
export async function boundSmppLink(options: Partial<Omit<SmppLinkOptions, 'url'>> = {}, serve?: (link: SmppLink) => void): Promise<BoundSmppLink> {
  const smsc = new TestSmsc();
  const url = await smsc.start();
  const link = new SmppLink({ url, systemId: 'guichet', password: 'secret', ...options }, silentLogger);
  const close = async () => {
    await link.stop();
    await smsc.stop();
  };
  serve?.(link);
  link.start();
  try {
    await until(() => link.isBound && smsc.session !== undefined, 'the SMPP bind');
  } catch (error) {
    await close();
    throw error;
  }
  return { smsc, link, close };
}
