import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GatewayMetrics } from '../../observability/metrics.js';

/** What the gateway's parts say of themselves when Prometheus scrapes (read then, never stored). */
export interface MetricProbes {
  /** 1 when Redis answers; absent in the embedded default. */
  redisUp?: () => boolean;
  smppLinks?: () => { link: string; bound: boolean }[];
  breakers?: () => { service: string; state: 'closed' | 'open' | 'half_open' }[];
  /** Jobs waiting per queue (BullMQ), for backlog alerts. */
  queueDepths?: () => Promise<{ queue: string; waiting: number }[]>;
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
