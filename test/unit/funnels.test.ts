import { describe, expect, it } from 'vitest';
import { InProcessFunnels, type DropReason, type FunnelSession, type FunnelStep, type InspectedSession, type NodeFunnel } from '../../src/observability/funnels.js';

/**
 * The in-process recorder, table-driven: each case plays a script of hops, provider notices, clock
 * moves and sweeps against one recorder and checks the counts it ends with.
 */

const TTL_SECONDS = 180;
const TTL = TTL_SECONDS * 1000;
/** How far ahead of the time to live a sweep with a store checks (min(5 s, ttl / 10)). */
const AHEAD = 5000;

type Stored = InspectedSession | null | 'fails';

type Event =
  | { hop: { key: string; version: number; node: string; steps?: FunnelStep[]; opened?: boolean; closed?: 'ended' | 'error'; hops?: number; dialect?: string; operator?: string } }
  | { notice: { key: string; node: string; reason: DropReason } }
  | { wait: number }
  | { sweep: true }
  | { store: Record<string, Stored> };

interface Case {
  name: string;
  /** With a store to read sessions back from (`inspect`), or without. */
  withStore?: boolean;
  maxTracked?: number;
  events: Event[];
  nodes?: Record<string, Partial<Omit<NodeFunnel, 'node' | 'dropped'>> & { dropped?: Partial<Record<DropReason, number>> }>;
  started?: number;
  live?: number;
  untracked?: number;
  /** Per `dialect/operator`: sessions closed, total hops, total seconds. */
  stats?: Record<string, { sessions: number; hops: number; seconds: number }>;
}

const enter = (...nodes: string[]): FunnelStep[] => nodes.map((node) => ({ kind: 'entered', node }));
const chose = (node: string, option: string): FunnelStep => ({ kind: 'chose', node, option });
const refused = (node: string): FunnelStep => ({ kind: 'refused', node });

const open = (key: string, node = 'home') => ({ hop: { key, version: 1, node, opened: true, steps: enter(node) } });
const stored = (key: string, version: number, node: string, closed = false): InspectedSession => ({ version, closed, session: session(key, version, node) });

const OPENED_AT = 1_000_000;
function session(key: string, version: number, node: string, extra: Partial<FunnelSession> = {}): FunnelSession {
  return { key, version, menu: 'm', node, dialect: 'africastalking', operator: 'MTN', openedAt: OPENED_AT, hops: version, ...extra };
}

const CASES: Case[] = [
  {
    name: 'a walk to an END screen: entries, the choice, the end, one closed session',
    events: [open('a'), { wait: 2000 }, { hop: { key: 'a', version: 2, node: 'show', steps: [chose('home', '1'), ...enter('lookup', 'show')], closed: 'ended' } }],
    started: 1,
    nodes: { home: { entered: 1, chose: { '1': 1 } }, lookup: { entered: 1, ended: 0 }, show: { entered: 1, ended: 1 } },
    live: 0,
    stats: { 'africastalking/MTN': { sessions: 1, hops: 2, seconds: 2 } },
  },
  {
    name: 'a refused input is counted on its screen, not as an arrival',
    events: [open('a', 'ask'), { hop: { key: 'a', version: 2, node: 'ask', steps: [refused('ask')] } }, { hop: { key: 'a', version: 3, node: 'ask', steps: [refused('ask')] } }],
    nodes: { ask: { entered: 1, refused: 2 } },
    live: 1,
  },
  {
    name: "a provider's notice drops the session where it was, with the provider's reason",
    events: [open('a'), { wait: 4000 }, { notice: { key: 'a', node: 'home', reason: 'user_aborted' } }],
    nodes: { home: { entered: 1, dropped: { user_aborted: 1 } } },
    live: 0,
    stats: { 'africastalking/MTN': { sessions: 1, hops: 1, seconds: 4 } },
  },
  {
    name: "the channel's own failure screen drops the session as error",
    events: [open('a'), { hop: { key: 'a', version: 2, node: 'lookup', steps: enter('lookup'), closed: 'error' } }],
    nodes: { lookup: { entered: 1, ended: 0, dropped: { error: 1 } } },
    live: 0,
  },
  {
    name: 'without a store: idle for less than the time to live is still live',
    events: [open('a'), { wait: TTL - 1 }, { sweep: true }],
    nodes: { home: { dropped: { expired: 0 } } },
    live: 1,
  },
  {
    name: 'without a store: idle for the whole time to live is expired where it was, its length up to its last hop',
    events: [open('a'), { wait: 3000 }, { hop: { key: 'a', version: 2, node: 'ask', steps: enter('ask') } }, { wait: TTL }, { sweep: true }],
    nodes: { ask: { entered: 1, dropped: { expired: 1 } } },
    live: 0,
    stats: { 'africastalking/MTN': { sessions: 1, hops: 2, seconds: 3 } },
  },
  {
    name: 'with a store: checked just before the store forgets it, counted where the store has it',
    withStore: true,
    events: [open('a', 'ask'), { store: { a: stored('a', 1, 'ask') } }, { wait: TTL - AHEAD - 1 }, { sweep: true }, { wait: 1 }, { sweep: true }],
    nodes: { ask: { dropped: { expired: 1 } } },
    live: 0,
  },
  {
    name: 'with a store: another instance carried the session on (newer version): left to it',
    withStore: true,
    events: [open('a', 'ask'), { store: { a: stored('a', 2, 'lookup') } }, { wait: TTL }, { sweep: true }],
    nodes: { ask: { dropped: { expired: 0 } }, lookup: { dropped: { expired: 0 } } },
    live: 0,
  },
  {
    name: 'with a store: closed meanwhile (another instance got the END or the notice): not counted here',
    withStore: true,
    events: [open('a', 'ask'), { store: { a: stored('a', 1, 'ask', true) } }, { wait: TTL }, { sweep: true }],
    nodes: { ask: { dropped: { expired: 0 } } },
    live: 0,
  },
  {
    name: 'with a store: gone before its time to live (closed elsewhere, kept 30 s): not counted',
    withStore: true,
    events: [open('a', 'ask'), { store: { a: null } }, { wait: TTL - AHEAD }, { sweep: true }],
    nodes: { ask: { dropped: { expired: 0 } } },
    live: 0,
  },
  {
    name: 'with a store: gone after its time to live (the sweep came late): expired as this instance left it',
    withStore: true,
    events: [open('a', 'ask'), { store: { a: null } }, { wait: TTL + 10 }, { sweep: true }],
    nodes: { ask: { dropped: { expired: 1 } } },
    live: 0,
  },
  {
    name: 'with a store that cannot answer: asked again, and counted once surely over (twice the time to live)',
    withStore: true,
    events: [open('a', 'ask'), { store: { a: 'fails' } }, { wait: TTL }, { sweep: true }, { wait: TTL - 1 }, { sweep: true }],
    nodes: { ask: { dropped: { expired: 0 } } },
    live: 1,
  },
  {
    name: 'with a store that cannot answer, past twice the time to live: expired',
    withStore: true,
    events: [open('a', 'ask'), { store: { a: 'fails' } }, { wait: 2 * TTL }, { sweep: true }],
    nodes: { ask: { dropped: { expired: 1 } } },
    live: 0,
  },
  {
    name: 'a hop before the sweep keeps the session alive, and only sessions due are looked at',
    events: [open('a'), open('b'), { wait: TTL - 10 }, { hop: { key: 'a', version: 2, node: 'ask', steps: enter('ask') } }, { wait: 10 }, { sweep: true }],
    nodes: { home: { entered: 2, dropped: { expired: 1 } }, ask: { dropped: { expired: 0 } } },
    started: 2,
    live: 1,
  },
  {
    name: 'a notice for a session this instance never saw still counts, with the record it names',
    events: [{ notice: { key: 'z', node: 'pay.show', reason: 'network_timeout' } }],
    nodes: { 'pay.show': { entered: 0, dropped: { network_timeout: 1 } } },
    live: 0,
  },
  {
    name: 'a full tracking table lets its oldest session go, counted as untracked',
    maxTracked: 2,
    events: [open('a'), open('b'), open('c'), { wait: TTL }, { sweep: true }],
    nodes: { home: { entered: 3, dropped: { expired: 2 } } },
    untracked: 1,
    live: 0,
  },
  {
    name: 'sessions are filed per dialect and operator',
    events: [
      { hop: { key: 'a', version: 1, node: 'home', opened: true, steps: enter('home'), closed: 'ended', dialect: 'hubtel', operator: 'MOOV' } },
      { hop: { key: 'b', version: 1, node: 'home', opened: true, steps: enter('home'), closed: 'ended', dialect: 'hubtel', operator: 'MOOV' } },
      { hop: { key: 'c', version: 1, node: 'home', opened: true, steps: enter('home'), closed: 'ended', dialect: 'nalo', operator: 'other' } },
    ],
    stats: { 'hubtel/MOOV': { sessions: 2, hops: 2, seconds: 0 }, 'nalo/other': { sessions: 1, hops: 1, seconds: 0 } },
  },
];

describe('InProcessFunnels', () => {
  it.each(CASES)('$name', async (c) => {
    let now = OPENED_AT;
    let store: Record<string, Stored> = {};
    const funnels = new InProcessFunnels({
      sessionTtlSeconds: TTL_SECONDS,
      now: () => now,
      ...(c.maxTracked ? { maxTracked: c.maxTracked } : {}),
      ...(c.withStore
        ? {
            inspect: async (key: string) => {
              const answer = store[key];
              if (answer === 'fails') throw new Error('store down');
              return answer ?? null;
            },
          }
        : {}),
    });
    for (const event of c.events) {
      if ('hop' in event) {
        const { key, version, node, steps = [], opened = false, closed, hops, dialect, operator } = event.hop;
        const extra: Partial<FunnelSession> = { ...(hops !== undefined ? { hops } : {}), ...(dialect ? { dialect } : {}), ...(operator ? { operator } : {}) };
        funnels.hop({ session: session(key, version, node, extra), opened, steps, ...(closed ? { closed } : {}) });
      } else if ('notice' in event) {
        funnels.dropped(session(event.notice.key, 2, event.notice.node, { hops: 1 }), event.notice.reason);
      } else if ('wait' in event) {
        now += event.wait;
      } else if ('store' in event) {
        store = event.store;
      } else {
        await funnels.sweep();
      }
    }

    const snapshot = funnels.snapshot();
    expect(snapshot.scope).toBe('instance');
    const menu = snapshot.menus.find((m) => m.menu === 'm');
    if (c.started !== undefined) expect(menu?.started).toBe(c.started);
    for (const [node, expected] of Object.entries(c.nodes ?? {})) {
      const counts = menu?.nodes.find((n) => n.node === node);
      const { dropped, ...rest } = expected;
      expect({ node, ...counts }, node).toMatchObject({ node, ...rest });
      for (const [reason, count] of Object.entries(dropped ?? {})) expect(counts?.dropped[reason as DropReason] ?? 0, `${node} ${reason}`).toBe(count);
    }
    if (c.live !== undefined) expect(snapshot.sessions.live).toBe(c.live);
    if (c.untracked !== undefined) expect(snapshot.sessions.untracked).toBe(c.untracked);
    for (const [id, expected] of Object.entries(c.stats ?? {})) {
      const stats = snapshot.sessions.byDialect.find((s) => `${s.dialect}/${s.operator}` === id);
      expect({ sessions: stats?.hops.count, hops: stats?.hops.sum, seconds: stats?.seconds.sum }, id).toEqual(expected);
    }
  });

  it('keeps hop counts per minute for the last hour, oldest first', () => {
    let now = Date.UTC(2026, 11, 1, 10, 0, 0);
    const funnels = new InProcessFunnels({ sessionTtlSeconds: TTL_SECONDS, now: () => now });
    const hop = (key: string) => funnels.hop({ session: session(key, 1, 'home'), opened: true, steps: enter('home') });
    hop('a');
    hop('b');
    now += 60_000;
    hop('c');
    expect(funnels.snapshot().sessions.hopsPerMinute).toEqual([
      { minute: '2026-12-01T10:00:00.000Z', hops: 2 },
      { minute: '2026-12-01T10:01:00.000Z', hops: 1 },
    ]);
    now += 60 * 60_000;
    hop('d');
    expect(funnels.snapshot().sessions.hopsPerMinute).toEqual([{ minute: '2026-12-01T11:01:00.000Z', hops: 1 }]);
  });

  it('fills the histograms of hops and seconds per session, cumulatively', () => {
    let now = OPENED_AT;
    const funnels = new InProcessFunnels({ sessionTtlSeconds: TTL_SECONDS, now: () => now });
    now += 7000;
    funnels.hop({ session: session('a', 3, 'show', { hops: 3 }), opened: false, steps: enter('show'), closed: 'ended' });
    now += 100_000;
    funnels.hop({ session: session('b', 12, 'show', { hops: 12 }), opened: false, steps: enter('show'), closed: 'ended' });
    const [stats] = funnels.snapshot().sessions.byDialect;
    // Bounds 1 2 3 4 5 6 8 10 15 20 and 5 10 20 30 45 60 90 120 180 300.
    expect(stats?.hops).toEqual({ buckets: [0, 0, 1, 1, 1, 1, 1, 1, 2, 2], count: 2, sum: 15 });
    expect(stats?.seconds).toEqual({ buckets: [0, 1, 1, 1, 1, 1, 1, 2, 2, 2], count: 2, sum: 114 });
  });

  it('counts payments by provider and state, flags, and SMS by route and status', () => {
    const funnels = new InProcessFunnels({ sessionTtlSeconds: TTL_SECONDS });
    funnels.payment('mtn-momo', 'created');
    funnels.payment('mtn-momo', 'created');
    funnels.payment('mtn-momo', 'succeeded');
    funnels.payment('fedapay', 'failed');
    funnels.paymentFlagged('fedapay');
    funnels.sms('kannel', 'queued');
    funnels.sms('kannel', 'delivered');
    const snapshot = funnels.snapshot();
    expect(snapshot.payments).toEqual([
      { provider: 'mtn-momo', state: 'created', count: 2 },
      { provider: 'mtn-momo', state: 'succeeded', count: 1 },
      { provider: 'fedapay', state: 'failed', count: 1 },
    ]);
    expect(snapshot.paymentsFlagged).toEqual([{ provider: 'fedapay', count: 1 }]);
    expect(snapshot.sms).toEqual([
      { route: 'kannel', status: 'queued', count: 1 },
      { route: 'kannel', status: 'delivered', count: 1 },
    ]);
  });

  it('never exports the session keys it follows (phone-keyed dialects key sessions by number)', () => {
    const funnels = new InProcessFunnels({ sessionTtlSeconds: TTL_SECONDS });
    funnels.hop({ session: session('nalo:2290197000001', 1, 'home'), opened: true, steps: enter('home') });
    expect(JSON.stringify(funnels.snapshot())).not.toContain('2290197000001');
  });
});
