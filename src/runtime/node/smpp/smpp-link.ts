import { randomUUID } from 'node:crypto';
import smpp from 'smpp';
import type { Pdu, Session } from 'smpp';
import type { Logger } from '../../../observability/logger.js';

/**
 * A resilient ESME transceiver link to an operator's SMSC. The `smpp` package speaks the
 * protocol but has no response time-outs, no submit window, no throughput limit and no
 * reconnect: this class adds them. Used by the SMPP USSD channel (and by SMS routes).
 */
export interface SmppLinkOptions {
  /** `smpp://host:port`. */
  url: string;
  systemId: string;
  password: string;
  systemType?: string;
  /** Keep-alive period; a missing `enquire_link_resp` drops and re-opens the link. */
  enquireLinkMs?: number;
  /** How long to wait for any response PDU. */
  responseTimeoutMs?: number;
  /** Most `submit_sm` awaiting their response at once (the operator's window). */
  window?: number;
  /** Most `submit_sm` sent per second (the operator's agreed throughput). */
  submitsPerSecond?: number;
  /** Reconnect back-off: first delay, doubled up to the maximum. */
  reconnectInitialMs?: number;
  reconnectMaxMs?: number;
  /**
   * Submits waiting at most (the link being down or slow): past it a submit is refused at once, and
   * the SMS job retries later, instead of the queue growing for as long as the SMSC is away.
   */
  maxQueued?: number;
  /** Retries of a submit the SMSC throttled (ESME_RTHROTTLED, ESME_RMSGQFUL) before giving up. */
  throttleRetries?: number;
  /**
   * First pause of the whole link after a throttling answer, doubled for each further one in a
   * row (up to 32×) and reset by an accepted submit.
   */
  throttleBackoffMs?: number;
  /** `interface_version` of the bind: 0x34 (SMPP 3.4, as Kannel binds) unless the operator asks for 0x50. */
  interfaceVersion?: 0x34 | 0x50;
}

/** What the link knows about the bind a PDU arrived on. */
export interface DeliverContext {
  /**
   * Random per bind: the SMSC numbers its PDUs per bind, so a `sequence_number` means the same
   * PDU only within the same bind id (and never across restarts or gateway instances).
   */
  bindId: string;
}

export class SmppSubmitError extends Error {
  constructor(
    message: string,
    readonly commandStatus?: number,
  ) {
    super(message);
    this.name = 'SmppSubmitError';
  }
}

interface QueuedSubmit {
  params: object;
  attempt: number;
  /** Not sent after this time (a USSD reply that would arrive after the dialogue is useless). */
  expiresAt: number;
  resolve: (response: Pdu) => void;
  reject: (error: Error) => void;
}

export type DeliverHandler = (pdu: Pdu, context: DeliverContext) => Promise<void>;

/** SMPP 3.4 §5.1.3: "ESME receiver temporary app error", the SMSC retries later. */
const ESME_RX_T_APPN = 0x64;

export class SmppLink {
  private session: Session | undefined;
  private bound = false;
  private stopped = true;
  private reconnectDelay: number;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private enquireTimer: ReturnType<typeof setInterval> | undefined;
  private readonly queue: QueuedSubmit[] = [];
  private expirySweep: ReturnType<typeof setInterval> | undefined;
  private inFlight = 0;
  /** Token bucket for the throughput limit: refilled continuously, at most one second's worth. */
  private tokens: number;
  private tokensAt = Date.now();
  private pumpTimer: ReturnType<typeof setTimeout> | undefined;
  /** While the SMSC has asked us to slow down, no submit leaves this link before this time. */
  private pausedUntil = 0;
  /** Throttling answers in a row, for the doubling back-off. */
  private throttleStreak = 0;
  private bindId = '';
  private deliverHandler: DeliverHandler = async () => {};
  /** Take a USSD `deliver_sm` before the handler (a push's confirmation); true: taken. */
  private readonly ussdInterceptors: ((pdu: Pdu) => boolean)[] = [];
  private readonly o: Required<Omit<SmppLinkOptions, 'systemType'>> & { systemType: string };
  /** Counters for tests and metrics; `lastPause` is the latest link-wide back-off (`performance.now()` clock). */
  readonly stats: { binds: number; reconnects: number; throttled: number; submitted: number; lastPause?: { from: number; until: number } } = {
    binds: 0,
    reconnects: 0,
    throttled: 0,
    submitted: 0,
  };

  constructor(
    options: SmppLinkOptions,
    private readonly logger: Logger,
  ) {
    this.o = {
      enquireLinkMs: 30_000,
      responseTimeoutMs: 10_000,
      window: 10,
      submitsPerSecond: 50,
      reconnectInitialMs: 500,
      reconnectMaxMs: 30_000,
      throttleRetries: 5,
      throttleBackoffMs: 100,
      maxQueued: 1_000,
      interfaceVersion: 0x34,
      systemType: '',
      ...options,
    };
    this.reconnectDelay = this.o.reconnectInitialMs;
    this.tokens = this.o.submitsPerSecond;
  }

  onDeliver(handler: DeliverHandler): void {
    this.deliverHandler = handler;
  }

  /**
   * Sees every USSD `deliver_sm` (acknowledged already) before the deliver handler; one returning
   * true takes it, and the handler never sees it. The USSD push waits for its USSN confirm this way,
   * on the link that also serves dialogues.
   */
  interceptUssd(interceptor: (pdu: Pdu) => boolean): void {
    this.ussdInterceptors.push(interceptor);
  }

  get isBound(): boolean {
    return this.bound;
  }

  start(): void {
    this.stopped = false;
    clearInterval(this.expirySweep);
    this.expirySweep = setInterval(() => this.dropExpired(), 1_000);
    this.expirySweep.unref();
    this.open();
  }

  /** Unbinds and closes; queued submits are failed. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.pumpTimer);
    clearInterval(this.expirySweep);
    for (const item of this.queue.splice(0)) item.reject(new SmppSubmitError('link stopped'));
    const session = this.session;
    if (!session) return;
    if (this.bound) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 1000);
        session.send(new smpp.PDU('unbind'), () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    await new Promise<void>((resolve) => {
      session.once('close', () => resolve());
      session.destroy();
      setTimeout(resolve, 500);
    });
  }

  /**
   * Sends a `submit_sm` when the window, the throughput and any throttling pause allow; a
   * throttled submit is retried first once the pause ends.
   */
  submit(params: object, ttlMs = 60_000): Promise<Pdu> {
    return new Promise((resolve, reject) => {
      if (this.queue.length >= this.o.maxQueued) this.dropExpired();
      if (this.queue.length >= this.o.maxQueued) {
        reject(new SmppSubmitError(`link queue full (${this.o.maxQueued} waiting${this.bound ? '' : ', link down'})`));
        return;
      }
      this.queue.push({ params, attempt: 0, expiresAt: Date.now() + ttlMs, resolve, reject });
      this.pump();
    });
  }

  /** Waiting submits past their time to live are failed, even while the link is down and nothing pumps. */
  private dropExpired(): void {
    const now = Date.now();
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const item = this.queue[i]!;
      if (item.expiresAt < now) {
        this.queue.splice(i, 1);
        item.reject(new SmppSubmitError('expired before the link could send it'));
      }
    }
  }

  private open(): void {
    if (this.stopped) return;
    const session = smpp.connect({ url: this.o.url });
    this.session = session;
    session.on('connect', () => {
      // Small PDUs, each awaited by a handset: Nagle's algorithm would hold them back ~40 ms.
      session.socket.setNoDelay(true);
      this.bind(session);
    });
    session.on('error', (error: Error) => this.logger.warn({ smsc: this.o.url, err: error.message }, 'SMPP link error'));
    session.on('close', () => this.onClose(session));
    session.on('enquire_link', (pdu: Pdu) => this.write(session, pdu.response()));
    session.on('unbind', (pdu: Pdu) => {
      session.send(pdu.response());
      session.destroy();
    });
    session.on('deliver_sm', (pdu: Pdu) => {
      const failed = (error: unknown) => this.logger.error({ smsc: this.o.url, err: error instanceof Error ? error.message : String(error) }, 'deliver_sm handling failed');
      if (typeof pdu.ussd_service_op === 'number') {
        // A USSD dialogue: acknowledged at once, the answer follows as its own submit_sm.
        this.write(session, pdu.response());
        if (this.ussdInterceptors.some((take) => take(pdu))) return;
        this.deliverHandler(pdu, { bindId: this.bindId }).catch(failed);
        return;
      }
      // An SMS or a delivery receipt: acknowledged only once recorded. If recording fails, a
      // temporary error (ESME_RX_T_APPN) makes the SMSC deliver it again instead of losing it.
      this.deliverHandler(pdu, { bindId: this.bindId }).then(
        () => this.write(session, pdu.response()),
        (error: unknown) => {
          failed(error);
          this.write(session, pdu.response({ command_status: ESME_RX_T_APPN }));
        },
      );
    });
  }

  private bind(session: Session): void {
    // The smpp package would bind as 0x50 by default; most SMSCs (and Kannel) speak 3.4.
    const bind = { system_id: this.o.systemId, password: this.o.password, system_type: this.o.systemType, interface_version: this.o.interfaceVersion };
    this.request(session, new smpp.PDU('bind_transceiver', bind))
      .then((response) => {
        if (response.command_status !== smpp.ESME_ROK) {
          this.logger.error({ smsc: this.o.url, status: response.command_status }, 'SMPP bind refused');
          session.destroy();
          return;
        }
        this.bound = true;
        this.bindId = randomUUID().slice(0, 8);
        this.stats.binds++;
        this.reconnectDelay = this.o.reconnectInitialMs;
        this.logger.info({ smsc: this.o.url }, 'SMPP link bound');
        this.enquireTimer = setInterval(() => this.keepAlive(session), this.o.enquireLinkMs);
        this.pump();
      })
      .catch(() => session.destroy());
  }

  private keepAlive(session: Session): void {
    this.request(session, new smpp.PDU('enquire_link')).catch(() => {
      this.logger.warn({ smsc: this.o.url }, 'SMPP enquire_link unanswered, reopening the link');
      session.destroy();
    });
  }

  private onClose(session: Session): void {
    if (this.session !== session) return;
    this.bound = false;
    this.session = undefined;
    clearInterval(this.enquireTimer);
    if (this.stopped) return;
    this.stats.reconnects++;
    const delay = this.reconnectDelay;
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, this.o.reconnectMaxMs);
    this.logger.warn({ smsc: this.o.url, retryInMs: delay }, 'SMPP link closed');
    this.reconnectTimer = setTimeout(() => this.open(), delay);
  }

  /** Sends a request PDU and waits for its response, within the response time-out. */
  private request(session: Session, pdu: Pdu): Promise<Pdu> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new SmppSubmitError(`no ${pdu.command}_resp within ${this.o.responseTimeoutMs} ms`)), this.o.responseTimeoutMs);
      this.write(session, pdu, (response) => {
        clearTimeout(timer);
        resolve(response);
      });
    });
  }

  /**
   * Sends a PDU, letting every PDU sent in the same tick leave in one write: under load, many
   * dialogues answer at once, and one system call per small PDU costs more than the PDU itself.
   */
  private write(session: Session, pdu: Pdu, onResponse?: (response: Pdu) => void): void {
    session.socket.cork();
    session.send(pdu, onResponse);
    process.nextTick(() => session.socket.uncork());
  }

  private pump(): void {
    clearTimeout(this.pumpTimer);
    while (this.bound && this.session && this.queue.length > 0 && this.inFlight < this.o.window) {
      const pausedFor = this.pausedUntil - performance.now();
      if (pausedFor > 0) {
        this.pumpTimer = setTimeout(() => this.pump(), Math.ceil(pausedFor));
        return;
      }
      const now = Date.now();
      this.tokens = Math.min(this.o.submitsPerSecond, this.tokens + ((now - this.tokensAt) * this.o.submitsPerSecond) / 1000);
      this.tokensAt = now;
      if (this.tokens < 1) {
        this.pumpTimer = setTimeout(() => this.pump(), Math.ceil(((1 - this.tokens) * 1000) / this.o.submitsPerSecond));
        return;
      }
      const item = this.queue.shift()!;
      if (item.expiresAt < now) {
        item.reject(new SmppSubmitError('expired before the link could send it'));
        continue;
      }
      this.tokens -= 1;
      this.inFlight++;
      const session = this.session;
      this.request(session, new smpp.PDU('submit_sm', withBuffers(item.params)))
        .then((response) => this.onSubmitResponse(item, response))
        .catch((error: Error) => item.reject(error))
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }

  private onSubmitResponse(item: QueuedSubmit, response: Pdu): void {
    const status = response.command_status;
    if (status === smpp.ESME_ROK) {
      this.stats.submitted++;
      this.throttleStreak = 0;
      item.resolve(response);
      return;
    }
    if ((status === smpp.ESME_RTHROTTLED || status === smpp.ESME_RMSGQFUL) && item.attempt < this.o.throttleRetries) {
      // The SMSC asks the link, not this one message, to slow down: nothing more leaves until the
      // pause ends, and the throttled submit goes first then. Submits already on the wire when the
      // answer came may be throttled too; they join the pause under way rather than start a longer one.
      this.stats.throttled++;
      const now = performance.now();
      if (this.pausedUntil <= now) {
        const delay = this.o.throttleBackoffMs * 2 ** Math.min(this.throttleStreak, 5);
        this.throttleStreak++;
        this.pausedUntil = now + delay;
        this.stats.lastPause = { from: now, until: this.pausedUntil };
        this.logger.warn({ smsc: this.o.url, pauseMs: delay }, 'SMSC throttling: link paused');
      }
      this.queue.unshift({ ...item, attempt: item.attempt + 1 });
      return;
    }
    item.reject(new SmppSubmitError(`submit_sm refused with status ${status}`, status));
  }
}

/**
 * `submit_sm` fields as the smpp package needs them. The core builds PDU bytes (`its_session_info`,
 * a `short_message`'s `udh`) as Uint8Array, since it also runs where there is no Buffer (Workers);
 * the package copies TLV values with `Buffer#copy`, so bytes become Buffers here, at the edge.
 */
function withBuffers(params: object): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(params)) {
    if (value instanceof Uint8Array) fields[name] = Buffer.from(value);
    else if (typeof value === 'object' && value !== null && !Array.isArray(value)) fields[name] = Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, inner instanceof Uint8Array ? Buffer.from(inner) : inner]));
    else fields[name] = value;
  }
  return fields;
}
