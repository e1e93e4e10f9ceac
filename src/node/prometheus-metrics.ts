import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GatewayMetrics } from '../observability/metrics.js';

/** Prometheus metrics for the Node gateway (prom-client), with process metrics alongside. */
export function createPrometheusMetrics(): GatewayMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
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
