import { z } from 'zod';
import { jsonBody, type RouteDescriptor, type SecurityScheme } from './route-descriptor.js';

/**
 * Descriptors of the routes `createApp` serves itself: health for load balancers and
 * orchestrators, and Prometheus' `/metrics`.
 */

export const HealthAnswer = z.object({ status: z.literal('ok') });

/** `/readyz`: each part by name, `ok` or what is wrong with it. */
export const ReadinessAnswer = z.object({
  status: z.enum(['ready', 'not_ready']),
  parts: z.record(z.string(), z.string()).describe('Each dependency (menus, redis, …): ok, or what is wrong with it.'),
});

export const healthRoutes: readonly RouteDescriptor[] = [
  {
    method: 'GET',
    path: '/livez',
    operationId: 'liveness',
    tag: 'health',
    summary: 'The process answers',
    description: 'For an orchestrator’s liveness probe: restart the process when this fails. Checks nothing else.',
    security: [],
    responses: { 200: { description: 'Alive.', body: jsonBody(HealthAnswer, { ok: { summary: 'Alive', value: { status: 'ok' } } }) } },
    errors: [],
  },
  {
    method: 'GET',
    path: '/readyz',
    operationId: 'readiness',
    tag: 'health',
    summary: 'The gateway can serve',
    description: 'For a load balancer: send no traffic while this answers 503. Names every part that is not ok.',
    security: [],
    responses: {
      200: { description: 'Every part is ok.', body: jsonBody(ReadinessAnswer, { ready: { summary: 'Ready', value: { status: 'ready', parts: { menus: 'ok', redis: 'ok' } } } }) },
      503: { description: 'At least one part is not ok.', body: jsonBody(ReadinessAnswer, { redisDown: { summary: 'Redis away', value: { status: 'not_ready', parts: { menus: 'ok', redis: 'not connected (reconnecting)' } } } }) },
    },
    errors: [],
  },
  {
    method: 'GET',
    path: '/health',
    operationId: 'health',
    tag: 'health',
    summary: 'Kept for old probes: same as /livez',
    description: 'Answers ok whenever the process answers, even with Redis away: use /readyz to know whether it can serve.',
    security: [],
    responses: { 200: { description: 'Alive.', body: jsonBody(HealthAnswer, { ok: { summary: 'Alive', value: { status: 'ok' } } }) } },
    errors: [],
  },
];

/** `METRICS_TOKEN`, when set. */
export const metricsBearer: SecurityScheme = {
  name: 'metricsBearer',
  scheme: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <METRICS_TOKEN>, when METRICS_TOKEN is set.' },
};

const EXPOSITION_EXAMPLE = [
  '# HELP guichet_ussd_hop_seconds Time to answer one USSD hop, by provider and outcome',
  '# TYPE guichet_ussd_hop_seconds histogram',
  'guichet_ussd_hop_seconds_bucket{le="0.05",provider="africastalking",outcome="continue"} 1290',
  'guichet_ussd_hop_seconds_count{provider="africastalking",outcome="continue"} 1302',
  '',
].join('\n');

export const metricsRoute: RouteDescriptor = {
  method: 'GET',
  path: '/metrics',
  operationId: 'metrics',
  tag: 'health',
  summary: 'Prometheus metrics',
  description: 'The text exposition format. Served on loopback only unless METRICS=1; needs the bearer token when METRICS_TOKEN is set.',
  security: [[metricsBearer], []],
  responses: {
    200: {
      description: 'The metrics (content type text/plain; version=0.0.4).',
      body: { contentType: 'text/plain', schema: z.string(), examples: { hops: { summary: 'Hop latency, cut short', value: EXPOSITION_EXAMPLE } } },
    },
  },
  errors: ['unauthorized'],
};
