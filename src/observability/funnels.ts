import { SESSION_END_REASONS, type SessionEndReason } from '../channels/ussd/port.js';
import type { PaymentState } from '../payments/payment.js';
import type { SmsStatus } from '../sms/store/port.js';

/**
 * Funnels: what citizens do on each screen of each menu, counted in this process's memory so a hop
 * pays a few map updates and nothing more (no store round trip). Every instance counts what it
 * handled; summed over instances (as Prometheus does) the counts are the service's. Exported by
 * `src/runtime/node/prometheus-metrics.ts` and summarised on the operator's dashboard
 * (`src/channels/admin/`).
 *
 * Labels are bounded: menu ids, node ids and option keys come from the loaded menus (the USSD glue,
 * `ussd-funnel.ts`, names anything else `other`), dialects from the registry, operators from
 * `BENIN_OPERATORS`, payment providers and SMS routes from configuration. Never a phone number, a
 * session id or anything a citizen typed.
 */

/**
 * Why a session closed without reaching an END screen: the provider's notice (`user_aborted`,
 * `network_timeout`, `app_timeout`, `error`, or `completed` when a provider says so of a session we
 * had not closed), our own failure (`error`), or `expired`: no notice came and the session was
 * left until its time to live ran out, or was replaced by a new one on the same key.
 */
export const DROP_REASONS = [...SESSION_END_REASONS, 'expired'] as const;
export type DropReason = SessionEndReason | 'expired';

/** One thing the engine did during a hop, in order. */
export type FunnelStep =
  /** The session arrived on a node (a screen, or an action calling its service). */
  | { kind: 'entered'; node: string }
  /** An option of a choice screen was taken, by its key. */
  | { kind: 'chose'; node: string; option: string }
  /** The input was not taken: no such option, or it did not validate. */
  | { kind: 'refused'; node: string };

/** A session as the funnels follow it. */
export interface FunnelSession {
  /**
   * The session store's key: kept in this process only, to find the session again when it is due to
   * expire; never exported, never logged (phone-keyed dialects key sessions by number).
   */
  key: string;
  /** The record version the last hop committed. */
  version: number;
  menu: string;
  /** Where the session is (or was when it closed). */
  node: string;
  dialect: string;
  /** `MTN`, `MOOV`, `CELTIIS` from the number's range, or `other`. */
  operator: string;
  /** Ms since the epoch; undefined for records written before it was kept (no length is counted). */
  openedAt: number | undefined;
  /** Hops the session committed so far. */
  hops: number;
}

export interface FunnelHop {
  session: FunnelSession;
  /** This hop opened the session. */
  opened: boolean;
  steps: readonly FunnelStep[];
  /** Set when this hop closed the session: `ended` on one of the menu's END screens, `error` when the channel's own failure screen closed it. */
  closed?: 'ended' | 'error';
}

/** The recording side: called by the hop handler, the payment store and the SMS store. */
export interface FunnelRecorder {
  hop(hop: FunnelHop): void;
  /** The session closed before an END screen (a provider's notice, a replaced session). */
  dropped(session: FunnelSession, reason: DropReason): void;
  /** A payment entered a state (`created` included), once per payment and state. */
  payment(provider: string, state: PaymentState): void;
  /** A payment was flagged for finance to check by hand. */
  paymentFlagged(provider: string): void;
  /** An SMS reached a status, once per message and status. */
  sms(route: string, status: SmsStatus): void;
}

/** The reading side: what exporters and the dashboard need. */
export interface FunnelSource {
  snapshot(): FunnelSnapshot;
  /** Counts the sessions that expired since the last call (reads the store once per such session). */
  sweep(): Promise<void>;
}

/** Upper bounds of the hops-per-session histogram. */
export const SESSION_HOP_BUCKETS = [1, 2, 3, 4, 5, 6, 8, 10, 15, 20] as const;
/** Upper bounds of the session-length histogram, in seconds (USSD networks close a dialogue within minutes). */
export const SESSION_SECOND_BUCKETS = [5, 10, 20, 30, 45, 60, 90, 120, 180, 300] as const;

export interface HistogramSnapshot {
  /** Cumulative counts, one per bucket bound, as Prometheus wants them. */
  buckets: number[];
  count: number;
  sum: number;
}

export interface NodeFunnel {
  node: string;
  entered: number;
  refused: number;
  ended: number;
  dropped: Record<DropReason, number>;
  /** By option key. */
  chose: Record<string, number>;
}

export interface MenuFunnel {
  menu: string;
  started: number;
  /** In the order nodes were first counted. */
  nodes: NodeFunnel[];
}

export interface SessionStats {
  dialect: string;
  operator: string;
  /** Sessions closed (ended, dropped or expired) whose hops are counted. */
  hops: HistogramSnapshot;
  /** Only sessions whose opening time is known. */
  seconds: HistogramSnapshot;
}

export interface FunnelSnapshot {
  /** These are one process's counters, since it started: other instances count their own. */
  scope: 'instance';
  since: string;
  at: string;
  menus: MenuFunnel[];
  sessions: {
    /** Open sessions this instance served last, not yet closed or expired. */
    live: number;
    liveByDialect: { dialect: string; live: number }[];
    /** Sessions not followed for expiry because the tracking table was full. */
    untracked: number;
    /** Committed hops per minute, oldest first, the last hour at most. */
    hopsPerMinute: { minute: string; hops: number }[];
    byDialect: SessionStats[];
  };
  payments: { provider: string; state: PaymentState; count: number }[];
  paymentsFlagged: { provider: string; count: number }[];
  sms: { route: string; status: SmsStatus; count: number }[];
}

export interface InspectedSession {
  version: number;
  /** Closed in the store (ended, dropped): whoever closed it counted it. */
  closed: boolean;
  session: FunnelSession;
}

export interface InProcessFunnelOptions {
  /** The session store's time to live: a session idle this long is gone. */
  sessionTtlSeconds: number;
  now?: () => number;
  /**
   * Reads a session back from the store when it is due to expire, so that a session another
   * instance carried on (or closed) is not counted here too. Without it a session idle for its
   * whole time to live is counted expired on this instance's word alone.
   */
  inspect?: (key: string, tracked: FunnelSession) => Promise<InspectedSession | null>;
  /** Open sessions followed at most (each ~200 bytes); past it the oldest is let go, counted as `untracked`. */
  maxTracked?: number;
}

/** Distinct nodes counted at most, over all menus: menus are files of tens of nodes, this is a safety net. */
const MAX_NODES = 5000;
const MAX_MENUS = 200;
/** Minutes of hop counts kept for the dashboard. */
const MINUTES_KEPT = 60;
/** Sessions read back from the store at once during a sweep. */
const SWEEP_BATCH = 100;

interface NodeCounters {
  entered: number;
  refused: number;
  ended: number;
  dropped: Map<DropReason, number>;
  chose: Map<string, number>;
}

interface MenuCounters {
  started: number;
  nodes: Map<string, NodeCounters>;
}

class Buckets {
  private readonly counts: number[];
  count = 0;
  sum = 0;
  constructor(private readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }
  observe(value: number): void {
    this.count++;
    this.sum += value;
    const index = this.bounds.findIndex((bound) => value <= bound);
    if (index >= 0) this.counts[index]!++;
  }
  snapshot(): HistogramSnapshot {
    let running = 0;
    return { buckets: this.counts.map((n) => (running += n)), count: this.count, sum: this.sum };
  }
}

interface Tracked {
  session: FunnelSession;
  lastHopAt: number;
}

/**
 * The in-process recorder: counters in maps, and the open sessions this instance served last (in
 * the order of their last hop, so the ones due to expire are at the front). A session that simply
 * stops (no END screen, no provider notice) is found by `sweep` once it has been idle for nearly its
 * time to live; the store is read then, so one that another instance carried on is left to it.
 */
export class InProcessFunnels implements FunnelRecorder, FunnelSource {
  private readonly now: () => number;
  private readonly since: number;
  private readonly ttlMs: number;
  /** Checked this long before the store forgets the session: it must still be there to be read. */
  private readonly aheadMs: number;
  private readonly maxTracked: number;
  private readonly menus = new Map<string, MenuCounters>();
  private nodeCount = 0;
  private readonly stats = new Map<string, { dialect: string; operator: string; hops: Buckets; seconds: Buckets }>();
  private readonly open = new Map<string, Tracked>();
  private untracked = 0;
  private readonly minutes: { minute: number; hops: number }[] = [];
  private readonly payments = new Map<string, Map<PaymentState, number>>();
  private readonly flagged = new Map<string, number>();
  private readonly messages = new Map<string, Map<SmsStatus, number>>();
  private sweeping: Promise<void> | null = null;

  constructor(private readonly options: InProcessFunnelOptions) {
    this.now = options.now ?? Date.now;
    this.since = this.now();
    this.ttlMs = options.sessionTtlSeconds * 1000;
    this.aheadMs = Math.min(5000, this.ttlMs / 10);
    this.maxTracked = options.maxTracked ?? 100_000;
  }

  hop(hop: FunnelHop): void {
    const { session } = hop;
    const at = this.now();
    const menu = this.menuCounters(session.menu);
    if (hop.opened) menu.started++;
    for (const step of hop.steps) {
      const node = this.nodeCounters(menu, step.node);
      if (step.kind === 'entered') node.entered++;
      else if (step.kind === 'refused') node.refused++;
      else increment(node.chose, step.option);
    }
    this.countMinute(at);
    if (hop.closed === 'ended') {
      this.nodeCounters(menu, session.node).ended++;
      this.closeSession(session, at);
    } else if (hop.closed === 'error') {
      increment(this.nodeCounters(menu, session.node).dropped, 'error');
      this.closeSession(session, at);
    } else {
      this.track(session, at);
    }
  }

  dropped(session: FunnelSession, reason: DropReason): void {
    increment(this.nodeCounters(this.menuCounters(session.menu), session.node).dropped, reason);
    this.closeSession(session, this.now());
  }

  payment(provider: string, state: PaymentState): void {
    let byState = this.payments.get(provider);
    if (!byState) this.payments.set(provider, (byState = new Map()));
    increment(byState, state);
  }

  paymentFlagged(provider: string): void {
    increment(this.flagged, provider);
  }

  sms(route: string, status: SmsStatus): void {
    let byStatus = this.messages.get(route);
    if (!byStatus) this.messages.set(route, (byStatus = new Map()));
    increment(byStatus, status);
  }

  /** Open sessions this instance served last. */
  get live(): number {
    return this.open.size;
  }

  sweep(): Promise<void> {
    // One sweep at a time: a scrape and the timer arriving together share it.
    this.sweeping ??= this.sweepDue().finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  private async sweepDue(): Promise<void> {
    const now = this.now();
    const due: Tracked[] = [];
    for (const tracked of this.open.values()) {
      if (now - tracked.lastHopAt < this.ttlMs - (this.options.inspect ? this.aheadMs : 0)) break;
      due.push(tracked);
    }
    for (let i = 0; i < due.length; i += SWEEP_BATCH) {
      await Promise.all(due.slice(i, i + SWEEP_BATCH).map((tracked) => this.settle(tracked, now)));
    }
  }

  /** Decides what became of a session due to expire: counted here, or left to whoever saw it last. */
  private async settle(tracked: Tracked, now: number): Promise<void> {
    const { key } = tracked.session;
    const idle = now - tracked.lastHopAt;
    if (!this.options.inspect) {
      this.expire(tracked, tracked.session);
      return;
    }
    let stored: InspectedSession | null;
    try {
      stored = await this.options.inspect(key, tracked.session);
    } catch {
      // The store cannot say (down): ask again next sweep, until it is surely over.
      if (idle >= 2 * this.ttlMs) this.expire(tracked, tracked.session);
      return;
    }
    if (this.open.get(key) !== tracked) return; // a hop came meanwhile
    if (stored === null) {
      // Gone before its time to live: someone closed it since (a closed session is kept 30 s).
      // Gone after it: the sweep came late, and the session most likely expired as we left it.
      if (idle >= this.ttlMs) this.expire(tracked, tracked.session);
      else this.open.delete(key);
      return;
    }
    if (stored.version !== tracked.session.version || stored.closed) {
      // Another instance carried it on (it follows it now) or closed it (and counted that).
      this.open.delete(key);
      return;
    }
    this.expire(tracked, stored.session);
  }

  private expire(tracked: Tracked, session: FunnelSession): void {
    if (this.open.get(session.key) !== tracked) return;
    increment(this.nodeCounters(this.menuCounters(session.menu), session.node).dropped, 'expired');
    this.open.delete(session.key);
    this.sessionStats(session, tracked.lastHopAt);
  }

  snapshot(): FunnelSnapshot {
    const at = this.now();
    const liveByDialect = new Map<string, number>();
    for (const { session } of this.open.values()) increment(liveByDialect, session.dialect);
    const firstMinute = Math.floor(at / 60_000) - MINUTES_KEPT + 1;
    return {
      scope: 'instance',
      since: new Date(this.since).toISOString(),
      at: new Date(at).toISOString(),
      menus: [...this.menus].map(([menu, counters]) => ({
        menu,
        started: counters.started,
        nodes: [...counters.nodes].map(([node, c]) => ({
          node,
          entered: c.entered,
          refused: c.refused,
          ended: c.ended,
          dropped: Object.fromEntries(DROP_REASONS.map((reason) => [reason, c.dropped.get(reason) ?? 0])) as Record<DropReason, number>,
          chose: Object.fromEntries(c.chose),
        })),
      })),
      sessions: {
        live: this.open.size,
        liveByDialect: [...liveByDialect].map(([dialect, live]) => ({ dialect, live })),
        untracked: this.untracked,
        hopsPerMinute: this.minutes.filter((m) => m.minute >= firstMinute).map((m) => ({ minute: new Date(m.minute * 60_000).toISOString(), hops: m.hops })),
        byDialect: [...this.stats.values()].map((s) => ({ dialect: s.dialect, operator: s.operator, hops: s.hops.snapshot(), seconds: s.seconds.snapshot() })),
      },
      payments: [...this.payments].flatMap(([provider, byState]) => [...byState].map(([state, count]) => ({ provider, state, count }))),
      paymentsFlagged: [...this.flagged].map(([provider, count]) => ({ provider, count })),
      sms: [...this.messages].flatMap(([route, byStatus]) => [...byStatus].map(([status, count]) => ({ route, status, count }))),
    };
  }

  private closeSession(session: FunnelSession, at: number): void {
    this.open.delete(session.key);
    this.sessionStats(session, at);
  }

  private sessionStats(session: FunnelSession, closedAt: number): void {
    const id = `${session.dialect}\n${session.operator}`;
    let stats = this.stats.get(id);
    if (!stats) {
      stats = { dialect: session.dialect, operator: session.operator, hops: new Buckets(SESSION_HOP_BUCKETS), seconds: new Buckets(SESSION_SECOND_BUCKETS) };
      this.stats.set(id, stats);
    }
    stats.hops.observe(session.hops);
    if (session.openedAt !== undefined) stats.seconds.observe(Math.max(0, closedAt - session.openedAt) / 1000);
  }

  private track(session: FunnelSession, at: number): void {
    // Deleted first so the Map keeps sessions in the order of their last hop.
    if (!this.open.delete(session.key) && this.open.size >= this.maxTracked) {
      const oldest = this.open.keys().next().value;
      if (oldest !== undefined) this.open.delete(oldest);
      this.untracked++;
    }
    this.open.set(session.key, { session, lastHopAt: at });
  }

  private countMinute(at: number): void {
    const minute = Math.floor(at / 60_000);
    const last = this.minutes.at(-1);
    if (last?.minute === minute) last.hops++;
    else {
      this.minutes.push({ minute, hops: 1 });
      if (this.minutes.length > MINUTES_KEPT) this.minutes.shift();
    }
  }

  private menuCounters(id: string): MenuCounters {
    let menu = this.menus.get(id);
    if (!menu) {
      if (this.menus.size >= MAX_MENUS && id !== 'other') return this.menuCounters('other');
      this.menus.set(id, (menu = { started: 0, nodes: new Map() }));
    }
    return menu;
  }

  private nodeCounters(menu: MenuCounters, id: string): NodeCounters {
    let node = menu.nodes.get(id);
    if (!node) {
      if (this.nodeCount >= MAX_NODES && id !== 'other') return this.nodeCounters(menu, 'other');
      node = { entered: 0, refused: 0, ended: 0, dropped: new Map(), chose: new Map() };
      menu.nodes.set(id, node);
      this.nodeCount++;
    }
    return node;
  }
}

function increment<K>(counts: Map<K, number>, key: K): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}
