import type { Logger } from '../observability/logger.js';
import type { HttpFetch } from '../lib/http-fetch.js';
import { startDeadline } from '../lib/deadline.js';
import type { BreakerStore } from '../limits/breaker/port.js';
import { CircuitBreaker, type BreakerOptions } from './circuit-breaker.js';
import { SharedCircuitBreaker, type Breaker } from './shared-breaker.js';
import { serviceKey, uxp, xroadR1, type InteropDialect, type ServiceRef, type SubsystemId } from './dialects.js';
import { InteropError, classifyErrorType } from './errors.js';

/**
 * A client of Benin's interoperability platform (X-Road; Cybernetica's UXP). How a service is
 * addressed and how the platform's faults are recognised is the dialect's (`./dialects.ts`: X-Road
 * r1 paths and `X-Road-*` headers, or UXP's `/restapi` prefix and `Uxp-*` headers); time-outs, the
 * breaker and typed errors are shared. Runtime-agnostic (fetch); Node injects a fetch with the
 * client certificate for mutual TLS.
 */

export type { InteropDialect, ServiceRef, SubsystemId } from './dialects.js';
export { serviceKey } from './dialects.js';

export interface InteropClientOptions {
  securityServerUrl: string;
  client: SubsystemId;
  /** A dialect by name (UXP with its `/restapi` prefix), or one built with a prefix of its own. */
  dialect: 'xroad-r1' | 'uxp' | InteropDialect;
  /** Default per-call time-out; a service may have its own. */
  timeoutMs?: number;
  serviceTimeoutsMs?: Readonly<Record<string, number>>;
  breaker?: BreakerOptions;
  /**
   * Where the breakers' state is shared with the other instances (Redis on Node); absent: each
   * breaker is this process's own. Either way a breaker never blocks a call because of its store.
   */
  breakerStore?: BreakerStore;
  /** How long a shared breaker trusts the state it last read (`SharedBreakerOptions.cacheMs`). */
  breakerCacheMs?: number;
  /** Told when the breaker store fails (once per run of failures): the breakers fell back to this process's own. */
  onBreakerStoreError?: (error: unknown) => void;
  fetch?: HttpFetch;
  logger: Logger;
}

export interface InteropCall {
  method?: 'GET' | 'POST' | 'PUT';
  /** Appended to the service URL, e.g. `/requests/PS00373-240001`. */
  path?: string;
  body?: unknown;
  /** `X-Road-UserId`: the end user on whose behalf the call is made (the security server logs it, we do not). */
  userId?: string;
  /** `X-Road-Issue`: the case the call belongs to, e.g. a payment id. */
  issue?: string;
  /** Extra headers, e.g. an idempotency key. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface InteropResponse {
  status: number;
  body: unknown;
  messageId: string;
}

export class InteropClient {
  private readonly breakers = new Map<string, Breaker>();
  private readonly fetch: HttpFetch;
  private readonly dialect: InteropDialect;

  constructor(private readonly options: InteropClientOptions) {
    this.fetch = options.fetch ?? fetch;
    this.dialect = options.dialect === 'xroad-r1' ? xroadR1 : options.dialect === 'uxp' ? uxp() : options.dialect;
  }

  /** Each upstream service called so far and its breaker's state, for metrics and readiness. */
  breakerStates(): { service: string; state: Breaker['current'] }[] {
    return [...this.breakers].map(([service, breaker]) => ({ service, state: breaker.current }));
  }

  breakerFor(service: ServiceRef): Breaker {
    const key = serviceKey(service);
    let breaker = this.breakers.get(key);
    if (!breaker) {
      breaker = this.options.breakerStore ? this.sharedBreaker(this.options.breakerStore, service, key) : new CircuitBreaker(this.options.breaker);
      this.breakers.set(key, breaker);
    }
    return breaker;
  }

  private sharedBreaker(store: BreakerStore, service: ServiceRef, key: string): SharedCircuitBreaker {
    const options = this.options.breaker ?? {};
    return new SharedCircuitBreaker(store, key, {
      policy: {
        failureThreshold: options.failureThreshold ?? 5,
        openMs: options.openMs ?? 10_000,
        // The probe is held as long as its call may take, and a second more.
        probeLeaseMs: this.timeoutFor(service) + 1_000,
      },
      ...(this.options.breakerCacheMs !== undefined ? { cacheMs: this.options.breakerCacheMs } : {}),
      ...(options.now ? { now: options.now } : {}),
      ...(this.options.onBreakerStoreError ? { onStoreError: this.options.onBreakerStoreError } : {}),
    });
  }

  private timeoutFor(service: ServiceRef): number {
    return this.options.serviceTimeoutsMs?.[service.service] ?? this.options.timeoutMs ?? 5000;
  }

  async call(service: ServiceRef, call: InteropCall = {}): Promise<InteropResponse> {
    const messageId = crypto.randomUUID();
    const key = serviceKey(service);
    const breaker = this.breakerFor(service);
    if (!(await breaker.allow())) throw new InteropError('circuit_open', `${key}: circuit open, not called`, { service: key, messageId });

    const timeoutMs = this.timeoutFor(service);
    const deadline = startDeadline(timeoutMs, call.signal);
    const { url, headers } = this.dialect.address(this.options.securityServerUrl.replace(/\/$/, ''), {
      client: this.options.client,
      service,
      path: call.path ?? '',
      messageId,
      ...(call.userId ? { userId: call.userId } : {}),
      ...(call.issue ? { issue: call.issue } : {}),
    });
    const started = Date.now();
    const log = { service: key, messageId, method: call.method ?? 'GET' };
    try {
      const res = await this.fetch(url, {
        method: call.method ?? 'GET',
        headers: { accept: 'application/json', ...headers, ...(call.body === undefined ? {} : { 'content-type': 'application/json' }), ...call.headers },
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
        signal: deadline.signal,
      });
      const text = await res.text();
      const body = parseJson(text);
      const platformId = this.dialect.messageId(res.headers) ?? messageId;
      const fault = this.dialect.fault(res.headers, body);
      this.options.logger.info({ ...log, platformId, status: res.status, ms: Date.now() - started }, 'interop call');
      if (res.ok && !fault) {
        await breaker.success();
        return { status: res.status, body, messageId: platformId };
      }
      // A platform fault is classified by its type; the provider's own error answer by its status.
      const kind = classifyErrorType(fault?.type, res.status);
      // Only failures of the provider count against its breaker; a refused request says nothing of its health.
      if (kind === 'unavailable') await breaker.failure();
      else await breaker.success();
      throw new InteropError(kind, `${key}: ${fault?.type ?? `HTTP ${res.status}`}: ${fault?.message ?? text.slice(0, 200)}`, {
        service: key,
        messageId: platformId,
        status: res.status,
        ...(fault ? { type: fault.type } : {}),
        ...(fault?.detail ? { detail: fault.detail } : {}),
      });
    } catch (error) {
      if (error instanceof InteropError) throw error;
      const timedOut = deadline.timedOut;
      // The hop's own budget ran out first (the citizen is told "par SMS" and a job asks again):
      // not an upstream failure, or a slow portal would open the breaker on everyone.
      if (call.signal?.aborted && !timedOut) {
        await breaker.abandoned();
        throw new InteropError('timeout', `${key}: abandoned by the caller`, { service: key, messageId });
      }
      await breaker.failure();
      this.options.logger.warn({ ...log, ms: Date.now() - started, err: error instanceof Error ? error.message : String(error) }, 'interop call failed');
      throw new InteropError(timedOut ? 'timeout' : 'unavailable', `${key}: ${timedOut ? `no answer within ${timeoutMs} ms` : 'network error'}`, { service: key, messageId });
    } finally {
      deadline.clear();
    }
  }
}

function parseJson(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
