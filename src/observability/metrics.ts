/**
 * The metrics port: what the people running the service watch. Node wires prom-client
 * (`src/runtime/node/prometheus-metrics.ts`) and serves `GET /metrics`; without it nothing is counted.
 */
export type HopOutcome = 'continue' | 'end' | 'rejected' | 'failed';

export interface GatewayMetrics {
  /** One USSD hop answered (or refused), with how long the gateway took. */
  observeHop(provider: string, outcome: HopOutcome, seconds: number): void;
  /** One service call from a menu, with its outcome (`ok`, `not_found`, `timeout`, `error`, …). */
  observeServiceCall(service: string, outcome: string, seconds: number): void;
  /** The exposition for `GET /metrics`. */
  render(): Promise<{ contentType: string; body: string }>;
}

export const noMetrics: GatewayMetrics = {
  observeHop() {},
  observeServiceCall() {},
  render: async () => ({ contentType: 'text/plain', body: '' }),
};
