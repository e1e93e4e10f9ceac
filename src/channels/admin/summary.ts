import type { MenuRegistry } from '../../engine/menu-registry.js';
import type { Menu, MenuNode } from '../../engine/schema.js';
import { localize } from '../../engine/template.js';
import { DROP_REASONS, type DropReason, type FunnelSnapshot, type FunnelSource, type NodeFunnel } from '../../observability/funnels.js';
import { PAYMENT_STATES, type Payment, type PaymentState } from '../../payments/payment.js';
import { financeDay, type PaymentStore } from '../../payments/store/port.js';
import { SMS_STATUSES, type SmsStatus } from '../../sms/store/port.js';
import type { SurveyResultRow, SurveyStore } from '../../surveys/port.js';
import { surveyMonth } from '../../surveys/survey-service.js';

/** What the runtime says of its links and breakers when the dashboard asks (read then, never stored). */
export interface AdminProbes {
  smppLinks?: () => { link: string; bound: boolean }[];
  breakers?: () => { service: string; state: 'closed' | 'open' | 'half_open' }[];
}

export interface SummaryDeps extends AdminProbes {
  funnels: FunnelSource;
  menus: MenuRegistry;
  /** Where the `needsReconciliation` list is read; absent: the list is empty. */
  payments?: PaymentStore;
  /** Where the month's survey results are read; absent: none shown. */
  surveys?: SurveyStore;
  now?: () => number;
}

export interface FunnelNodeSummary {
  node: string;
  /** The node's type in the menu served now; `unknown` for a node only an older version has (or `other`). */
  type: MenuNode['type'] | 'unknown';
  entered: number;
  refused: number;
  ended: number;
  /** All reasons together, then by reason. */
  dropped: number;
  droppedBy: Record<DropReason, number>;
  chose: Record<string, number>;
}

export interface MenuFunnelSummary {
  menu: string;
  title: string;
  started: number;
  /** The menu's nodes from its start, breadth first, then any counted node it no longer has. */
  nodes: FunnelNodeSummary[];
}

export interface AdminSummary {
  scope: 'instance';
  note: string;
  since: string;
  at: string;
  sessions: FunnelSnapshot['sessions'] & {
    /** Per dialect and operator: sessions closed, their mean hops and mean length. */
    perDialect: { dialect: string; operator: string; sessions: number; meanHops: number | null; meanSeconds: number | null }[];
  };
  funnels: MenuFunnelSummary[];
  payments: { provider: string; counts: Record<PaymentState, number>; flagged: number; successRate: number | null }[];
  sms: { route: string; counts: Record<SmsStatus, number>; deliveryRate: number | null }[];
  breakers: { service: string; state: 'closed' | 'open' | 'half_open' }[];
  smppLinks: { link: string; bound: boolean }[];
  /** Payments finance must check by hand, created in the last `RECONCILIATION_DAYS` days: ids and amounts, never a phone number. */
  reconciliation: { id: string; amountXof: number; provider: string; state: PaymentState; why: string; createdAt: string }[];
  /** This month's satisfaction survey, every agency (the store's totals, shared by all instances; never who answered). */
  surveys: { month: string; rows: SurveyResultRow[] };
}

const NOTE =
  "This instance's counters since it started (process memory, reset at restart); every instance counts what it served, and Prometheus sums them.";
/** Days of payments searched for the reconciliation list (the finance report covers one day at a time). */
export const RECONCILIATION_DAYS = 7;
/** Rows of the reconciliation list at most; the daily CSV report has them all. */
const RECONCILIATION_ROWS = 200;
/** The list is read from the payment store at most this often, whatever the refresh rate. */
const RECONCILIATION_CACHE_MS = 60_000;

/** Builds the dashboard's numbers; the reconciliation list is cached a minute. */
export function createSummary(deps: SummaryDeps): () => Promise<AdminSummary> {
  const now = deps.now ?? Date.now;
  let reconciliation: { at: number; rows: Promise<AdminSummary['reconciliation']> } | null = null;
  const reconciliationRows = () => {
    const at = now();
    if (!reconciliation || at - reconciliation.at >= RECONCILIATION_CACHE_MS) {
      const rows = deps.payments ? paymentsToCheck(deps.payments, at) : Promise.resolve([]);
      // A failed read is not kept: the next refresh asks again.
      rows.catch(() => (reconciliation = null));
      reconciliation = { at, rows };
    }
    return reconciliation.rows;
  };

  return async function summary(): Promise<AdminSummary> {
    await deps.funnels.sweep().catch(() => {});
    const snapshot = deps.funnels.snapshot();
    const byProviderFlags = new Map(snapshot.paymentsFlagged.map((f) => [f.provider, f.count]));
    const payments = new Map<string, Record<PaymentState, number>>();
    for (const p of snapshot.payments) (payments.get(p.provider) ?? setNew(payments, p.provider, zeroes(PAYMENT_STATES)))[p.state] += p.count;
    for (const provider of byProviderFlags.keys()) if (!payments.has(provider)) payments.set(provider, zeroes(PAYMENT_STATES));
    const sms = new Map<string, Record<SmsStatus, number>>();
    for (const m of snapshot.sms) (sms.get(m.route) ?? setNew(sms, m.route, zeroes(SMS_STATUSES)))[m.status] += m.count;
    return {
      scope: 'instance',
      note: NOTE,
      since: snapshot.since,
      at: snapshot.at,
      sessions: {
        ...snapshot.sessions,
        perDialect: snapshot.sessions.byDialect.map((s) => ({
          dialect: s.dialect,
          operator: s.operator,
          sessions: s.hops.count,
          meanHops: s.hops.count > 0 ? round(s.hops.sum / s.hops.count) : null,
          meanSeconds: s.seconds.count > 0 ? round(s.seconds.sum / s.seconds.count) : null,
        })),
      },
      funnels: funnelSummaries(deps.menus, snapshot),
      payments: [...payments].map(([provider, counts]) => ({
        provider,
        counts,
        flagged: byProviderFlags.get(provider) ?? 0,
        successRate: rate(counts.succeeded, counts.succeeded + counts.failed + counts.expired),
      })),
      sms: [...sms].map(([route, counts]) => ({ route, counts, deliveryRate: rate(counts.delivered, counts.delivered + counts.failed + counts.expired) })),
      breakers: deps.breakers?.() ?? [],
      smppLinks: deps.smppLinks?.() ?? [],
      reconciliation: await reconciliationRows().catch(() => []),
      surveys: { month: surveyMonth(now()), rows: deps.surveys ? await deps.surveys.results(surveyMonth(now())).catch(() => []) : [] },
    };
  };
}

/** Every menu served now, in its own order, then menus counted that are no longer served. */
function funnelSummaries(menus: MenuRegistry, snapshot: FunnelSnapshot): MenuFunnelSummary[] {
  const counted = new Map(snapshot.menus.map((m) => [m.menu, m]));
  const served = menus.all();
  const out: MenuFunnelSummary[] = served.map((menu) => {
    const counts = counted.get(menu.id);
    const byNode = new Map((counts?.nodes ?? []).map((n) => [n.node, n]));
    const order = walkOrder(menu);
    const nodes = [...order, ...[...byNode.keys()].filter((id) => !order.includes(id))];
    return {
      menu: menu.id,
      title: localize(menu.title, menu.defaultLanguage),
      started: counts?.started ?? 0,
      nodes: nodes.map((id) => nodeSummary(id, menu.nodes[id]?.type ?? 'unknown', byNode.get(id))),
    };
  });
  for (const m of snapshot.menus) {
    if (served.some((menu) => menu.id === m.menu)) continue;
    out.push({ menu: m.menu, title: m.menu, started: m.started, nodes: m.nodes.map((n) => nodeSummary(n.node, 'unknown', n)) });
  }
  return out;
}

function nodeSummary(node: string, type: FunnelNodeSummary['type'], counts: NodeFunnel | undefined): FunnelNodeSummary {
  const droppedBy = counts?.dropped ?? zeroes(DROP_REASONS);
  return {
    node,
    type,
    entered: counts?.entered ?? 0,
    refused: counts?.refused ?? 0,
    ended: counts?.ended ?? 0,
    dropped: Object.values(droppedBy).reduce((a, b) => a + b, 0),
    droppedBy,
    chose: counts?.chose ?? {},
  };
}

/** Nodes from the start, breadth first, following options and outcomes in the order the file gives them. */
export function walkOrder(menu: Menu): string[] {
  const seen = new Set<string>([menu.start]);
  const queue = [menu.start];
  for (let i = 0; i < queue.length; i++) {
    const node = menu.nodes[queue[i]!];
    if (!node) continue;
    for (const next of successors(node)) {
      if (!seen.has(next) && Object.hasOwn(menu.nodes, next)) {
        seen.add(next);
        queue.push(next);
      }
    }
  }
  // Nodes no path reaches still belong to the menu: listed last.
  return [...queue, ...Object.keys(menu.nodes).filter((id) => !seen.has(id))];
}

function successors(node: MenuNode): string[] {
  switch (node.type) {
    case 'choice':
      return node.options.map((o) => o.next);
    case 'action':
      return [...Object.values(node.on), node.otherwise];
    case 'message':
      return node.next === undefined ? [] : [node.next];
    case 'input':
    case 'goto':
      return [node.next];
  }
}

async function paymentsToCheck(store: PaymentStore, at: number): Promise<AdminSummary['reconciliation']> {
  const days = Array.from({ length: RECONCILIATION_DAYS }, (_, i) => financeDay(new Date(at - i * 86_400_000).toISOString()));
  const payments = (await Promise.all(days.map((day) => store.createdOn(day)))).flat();
  return payments
    .map((p) => ({ p, why: whyToCheck(p) }))
    .filter((row): row is { p: Payment; why: string } => row.why !== null)
    .sort((a, b) => b.p.createdAt.localeCompare(a.p.createdAt))
    .slice(0, RECONCILIATION_ROWS)
    .map(({ p, why }) => ({ id: p.id, amountXof: p.amountXof, provider: p.provider, state: p.state, why, createdAt: p.createdAt }));
}

/** The payment's own reconciliation marks, as the store keeps them (codes, never history text). */
function whyToCheck(payment: Payment): string | null {
  if (payment.needsReconciliation) return 'success_after_expiry';
  return payment.reconciliationFlags?.[0] ?? null;
}

function zeroes<K extends string>(keys: readonly K[]): Record<K, number> {
  return Object.fromEntries(keys.map((k) => [k, 0])) as Record<K, number>;
}

function setNew<V>(map: Map<string, V>, key: string, value: V): V {
  map.set(key, value);
  return value;
}

function rate(part: number, whole: number): number | null {
  return whole > 0 ? round(part / whole) : null;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
