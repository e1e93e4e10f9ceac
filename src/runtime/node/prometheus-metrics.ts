import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type MetricType } from 'prom-client';
import type { GatewayMetrics } from '../../observability/metrics.js';
import { DROP_REASONS, SESSION_HOP_BUCKETS, SESSION_SECOND_BUCKETS, type FunnelSnapshot, type FunnelSource, type HistogramSnapshot, type SessionStats } from '../../observability/funnels.js';

/** What the gateway's parts say of themselves when Prometheus scrapes (read then, never stored). */
export interface MetricProbes {
  /** 1 when Redis answers; absent in the embedded default. */
  redisUp?: () => boolean;
  smppLinks?: () => { link: string; bound: boolean }[];
  breakers?: () => { service: string; state: 'closed' | 'open' | 'half_open' }[];
  /** Jobs waiting per queue (BullMQ), for backlog alerts. */
  queueDepths?: () => Promise<{ queue: string; waiting: number }[]>;
  /** This process's funnels, sessions, payments and SMS counters (`src/observability/funnels.ts`). */
  funnels?: FunnelSource;
  /** Access-log entries written and not written by this process (`src/access-log/recorder.ts`). */
  accessLog?: () => { appended: number; failed: number };
  /** Payments whose callback hint this process holds, waiting or being confirmed (`src/payments/hint-confirmations.ts`). */
  paymentHints?: () => number;
}

/** Prometheus metrics for the Node gateway (prom-client), with process metrics alongside. */
export function createPrometheusMetrics(probes: MetricProbes = {}): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // Labels are bounded: link names, upstream services and queues come from configuration, not from callers.
  if (probes.redisUp) {
    const redisUp = probes.redisUp;
    new Gauge({ name: 'guichet_redis_up', help: '1 when the gateway reaches Redis', registers: [registry], collect() { this.set(redisUp() ? 1 : 0); } });
  }
  new Gauge({
    name: 'guichet_smpp_link_up',
    help: '1 when the SMPP link to an operator is bound',
    labelNames: ['link'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { link, bound } of probes.smppLinks?.() ?? []) this.set({ link }, bound ? 1 : 0);
    },
  });
  new Gauge({
    name: 'guichet_interop_breaker_open',
    help: '1 while the circuit breaker of an upstream X-Road/UXP service is open or probing',
    labelNames: ['service'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const { service, state } of probes.breakers?.() ?? []) this.set({ service }, state === 'closed' ? 0 : 1);
    },
  });
  new Gauge({
    name: 'guichet_queue_waiting_jobs',
    help: 'Background jobs waiting, per queue',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const { queue, waiting } of (await probes.queueDepths?.().catch(() => [])) ?? []) this.set({ queue }, waiting);
    },
  });
  if (probes.paymentHints) {
    const paymentHints = probes.paymentHints;
    new Gauge({
      name: 'guichet_payment_hints_pending',
      help: 'Payments whose callback hint this process holds, waiting or being confirmed with the provider',
      registers: [registry],
      collect() {
        this.set(paymentHints());
      },
    });
  }
  if (probes.accessLog) {
    const accessLog = probes.accessLog;
    new Counter({
      name: 'guichet_access_log_appends_total',
      help: 'Lookups written to their holder’s access log, and those not written (the lookup was answered anyway: alert on failed)',
      labelNames: ['result'] as const,
      registers: [registry],
      collect() {
        const counts = accessLog();
        this.reset();
        this.inc({ result: 'appended' }, counts.appended);
        this.inc({ result: 'failed' }, counts.failed);
      },
    });
  }
  const hops = new Histogram({
    name: 'guichet_ussd_hop_seconds',
    help: 'Time to answer one USSD hop, by provider and outcome',
    labelNames: ['provider', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2],
    registers: [registry],
  });
  const calls = new Histogram({
    name: 'guichet_service_call_seconds',
    help: 'Time of one service call made by a menu, by service and outcome',
    labelNames: ['service', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [registry],
  });
  const refused = new Counter({
    name: 'guichet_ussd_requests_refused_total',
    help: 'USSD requests refused before reaching a session (bad request, auth)',
    labelNames: ['provider'] as const,
    registers: [registry],
  });
  if (probes.funnels) registerFunnelMetrics(registry, probes.funnels);
  return {
    observeHop(provider, outcome, seconds) {
      if (outcome === 'rejected') refused.inc({ provider });
      else hops.observe({ provider, outcome }, seconds);
    },
    observeServiceCall(service, outcome, seconds) {
      calls.observe({ service, outcome }, seconds);
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}

/**
 * The funnel counters, read from the recorder's snapshot at each scrape (one snapshot per scrape,
 * taken after the expiry sweep): the hop path only bumps numbers in memory. Labels are the
 * recorder's, bounded by the menus and configuration.
 */
function registerFunnelMetrics(registry: Registry, funnels: FunnelSource): void {
  let current: Promise<FunnelSnapshot> | null = null;
  // The first metric collected takes the snapshot, the others of the same scrape reuse it.
  const snapshot = (): Promise<FunnelSnapshot> => {
    current ??= funnels
      .sweep()
      .catch(() => {})
      .then(() => funnels.snapshot())
      .finally(() => setTimeout(() => (current = null), 0));
    return current;
  };
  const fromSnapshot = <L extends string>(name: string, help: string, labelNames: readonly L[], rows: (s: FunnelSnapshot) => [Record<L, string>, number][]) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      async collect() {
        const s = await snapshot();
        this.reset();
        for (const [labels, value] of rows(s)) if (value > 0) this.inc(labels as Partial<Record<L, string>>, value);
      },
    });
  const nodes = (s: FunnelSnapshot) => s.menus.flatMap((m) => m.nodes.map((n) => ({ menu: m.menu, ...n })));
  fromSnapshot('guichet_funnel_sessions_started_total', 'USSD sessions opened, by menu', ['menu'], (s) => s.menus.map((m) => [{ menu: m.menu }, m.started]));
  fromSnapshot('guichet_funnel_node_entered_total', 'Arrivals of sessions on a menu node (screen or action)', ['menu', 'node'], (s) =>
    nodes(s).map((n) => [{ menu: n.menu, node: n.node }, n.entered]),
  );
  fromSnapshot('guichet_funnel_option_chosen_total', 'Options taken on a choice screen, by option key', ['menu', 'node', 'option'], (s) =>
    nodes(s).flatMap((n) => Object.entries(n.chose).map(([option, count]): [Record<'menu' | 'node' | 'option', string>, number] => [{ menu: n.menu, node: n.node, option }, count])),
  );
  fromSnapshot('guichet_funnel_input_refused_total', 'Inputs refused on a screen (no such option, or failed validation)', ['menu', 'node'], (s) =>
    nodes(s).map((n) => [{ menu: n.menu, node: n.node }, n.refused]),
  );
  fromSnapshot('guichet_funnel_sessions_ended_total', 'Sessions closed by one of the menu\'s END screens, by that screen', ['menu', 'node'], (s) =>
    nodes(s).map((n) => [{ menu: n.menu, node: n.node }, n.ended]),
  );
  fromSnapshot('guichet_funnel_sessions_dropped_total', 'Sessions closed before an END screen, by the node they were on and why', ['menu', 'node', 'reason'], (s) =>
    nodes(s).flatMap((n) => DROP_REASONS.map((reason): [Record<'menu' | 'node' | 'reason', string>, number] => [{ menu: n.menu, node: n.node, reason }, n.dropped[reason]])),
  );
  fromSnapshot('guichet_payments_total', 'Payments that entered a state, by provider', ['provider', 'state'], (s) => s.payments.map((p) => [{ provider: p.provider, state: p.state }, p.count]));
  fromSnapshot('guichet_payments_flagged_total', 'Payments flagged for finance to check by hand, by provider', ['provider'], (s) => s.paymentsFlagged.map((p) => [{ provider: p.provider }, p.count]));
  fromSnapshot('guichet_sms_total', 'SMS that reached a status, by route', ['route', 'status'], (s) => s.sms.map((m) => [{ route: m.route, status: m.status }, m.count]));
  new Gauge({
    name: 'guichet_ussd_live_sessions',
    help: 'Open USSD sessions this instance served last, by dialect',
    labelNames: ['dialect'] as const,
    registers: [registry],
    async collect() {
      const s = await snapshot();
      this.reset();
      for (const { dialect, live } of s.sessions.liveByDialect) this.set({ dialect }, live);
    },
  });
  new SnapshotHistogram('guichet_ussd_session_hops', 'Hops per closed USSD session, by dialect and operator', SESSION_HOP_BUCKETS, registry, async () => (await snapshot()).sessions.byDialect, (s) => s.hops);
  new SnapshotHistogram(
    'guichet_ussd_session_duration_seconds',
    'Length of closed USSD sessions (to the END, the notice, or the last hop of an expired one), by dialect and operator',
    SESSION_SECOND_BUCKETS,
    registry,
    async () => (await snapshot()).sessions.byDialect,
    (s) => s.seconds,
  );
}

/**
 * A prom-client histogram whose buckets are the recorder's (it cannot be filled from counts). The
 * registry reads a histogram through `getForPromString` (text) or `get` (JSON): both answer here.
 */
class SnapshotHistogram extends Histogram<string> {
  constructor(
    private readonly metricName: string,
    private readonly metricHelp: string,
    private readonly bounds: readonly number[],
    registry: Registry,
    private readonly read: () => Promise<SessionStats[]>,
    private readonly pick: (stats: SessionStats) => HistogramSnapshot,
  ) {
    super({ name: metricName, help: metricHelp, labelNames: ['dialect', 'operator'], buckets: [...bounds], registers: [registry] });
  }

  override async get(): Promise<Awaited<ReturnType<Histogram<string>['get']>>> {
    return this.getForPromString();
  }

  async getForPromString(): Promise<Awaited<ReturnType<Histogram<string>['get']>>> {
    const name = this.metricName;
    const values = (await this.read()).flatMap((stats) => {
      const labels = { dialect: stats.dialect, operator: stats.operator };
      const h = this.pick(stats);
      return [
        ...this.bounds.map((le, i) => ({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: h.buckets[i] ?? 0 })),
        { metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: h.count },
        { metricName: `${name}_sum`, labels, value: h.sum },
        { metricName: `${name}_count`, labels, value: h.count },
      ];
    });
    // prom-client's typings give `type` as a numeric enum; its code (and the exposition) uses the word.
    return { name, help: this.metricHelp, type: 'histogram' as unknown as MetricType, aggregator: 'sum', collect: () => {}, values };
  }
}
