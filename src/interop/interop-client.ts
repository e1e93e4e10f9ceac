import type { Logger } from '../observability/logger.js';
import { CircuitBreaker, type BreakerOptions } from './circuit-breaker.js';
import { InteropError, classifyErrorType } from './errors.js';

/**
 * A client of Benin's interoperability platform (X-Road; Cybernetica's UXP). Two header dialects:
 * - `xroad-r1`: `{METHOD} {securityServer}/r1/{INSTANCE}/{CLASS}/{MEMBER}/{SUBSYSTEM}/{SERVICE}[/path]`
 *   with `X-Road-Client: INSTANCE/CLASS/MEMBER/SUBSYSTEM`, `X-Road-Id`, `X-Road-UserId`;
 * - `uxp`: `{METHOD} {securityServer}[/path]` with `Uxp-Client` and
 *   `Uxp-Service: INSTANCE/CLASS/MEMBER/SUBSYSTEM/SERVICE/VERSION`.
 * Runtime-agnostic (fetch); Node injects a fetch with the client certificate for mutual TLS.
 *
 * @see https://docs.x-road.global/Protocols/pr-rest_x-road_message_protocol_for_rest.html
 */

/** `BJ/GOV/<MEMBER>/<SUBSYSTEM>`: who is calling, or who provides. */
export interface SubsystemId {
  instance: string;
  memberClass: string;
  memberCode: string;
  subsystem: string;
}

export interface ServiceRef extends SubsystemId {
  service: string;
  /** UXP names versions (`v1`); X-Road r1 does not. */
  version?: string;
}

export interface InteropClientOptions {
  securityServerUrl: string;
  client: SubsystemId;
  dialect: 'xroad-r1' | 'uxp';
  /** Default per-call time-out; a service may have its own. */
  timeoutMs?: number;
  serviceTimeoutsMs?: Readonly<Record<string, number>>;
  breaker?: BreakerOptions;
  fetch?: typeof fetch;
  logger: Logger;
}

export interface InteropCall {
  method?: 'GET' | 'POST' | 'PUT';
  /** Appended to the service URL, e.g. `/requests/PS00373-240001`. */
  path?: string;
  body?: unknown;
  /** `X-Road-UserId`: the end user on whose behalf (masked before it gets here). */
  userId?: string;
  /** Extra headers, e.g. an idempotency key. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface InteropResponse {
  status: number;
  body: unknown;
  messageId: string;
}

const subsystemPath = (s: SubsystemId) => `${s.instance}/${s.memberClass}/${s.memberCode}/${s.subsystem}`;
export const serviceKey = (s: ServiceRef) => `${subsystemPath(s)}/${s.service}`;

export class InteropClient {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly fetch: typeof fetch;

  constructor(private readonly options: InteropClientOptions) {
    this.fetch = options.fetch ?? fetch;
  }

  breakerFor(service: ServiceRef): CircuitBreaker {
    const key = serviceKey(service);
    let breaker = this.breakers.get(key);
    if (!breaker) {
      breaker = new CircuitBreaker(this.options.breaker);
      this.breakers.set(key, breaker);
    }
    return breaker;
  }

  async call(service: ServiceRef, call: InteropCall = {}): Promise<InteropResponse> {
    const messageId = crypto.randomUUID();
    const key = serviceKey(service);
    const breaker = this.breakerFor(service);
    if (!breaker.allow()) throw new InteropError('circuit_open', `${key}: circuit open, not called`, { service: key, messageId });

    const timeoutMs = this.options.serviceTimeoutsMs?.[service.service] ?? this.options.timeoutMs ?? 5000;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;
    const { url, headers } = this.address(service, call, messageId);
    const started = Date.now();
    const log = { service: key, messageId, method: call.method ?? 'GET' };
    try {
      const res = await this.fetch(url, {
        method: call.method ?? 'GET',
        headers: { accept: 'application/json', ...headers, ...(call.body === undefined ? {} : { 'content-type': 'application/json' }), ...call.headers },
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
        signal,
      });
      const text = await res.text();
      const body = parseJson(text);
      const errorHeader = res.headers.get('x-road-error') ?? res.headers.get('uxp-error') ?? undefined;
      this.options.logger.info({ ...log, status: res.status, ms: Date.now() - started }, 'interop call');
      if (res.ok && !errorHeader) {
        breaker.success();
        return { status: res.status, body, messageId: res.headers.get('x-road-id') ?? messageId };
      }
      const fault = isFault(body) ? body : undefined;
      const type = fault?.type ?? errorHeader;
      const kind = classifyErrorType(type, res.status);
      // Only failures of the provider count against its breaker; a refused request says nothing of its health.
      if (kind === 'unavailable') breaker.failure();
      else breaker.success();
      throw new InteropError(kind, `${key}: ${type ?? `HTTP ${res.status}`}: ${fault?.message ?? text.slice(0, 200)}`, {
        service: key,
        messageId,
        status: res.status,
        ...(type ? { type } : {}),
        ...(fault?.detail ? { detail: fault.detail } : {}),
      });
    } catch (error) {
      if (error instanceof InteropError) throw error;
      breaker.failure();
      const timedOut = timeout.aborted;
      this.options.logger.warn({ ...log, ms: Date.now() - started, err: error instanceof Error ? error.message : String(error) }, 'interop call failed');
      throw new InteropError(timedOut ? 'timeout' : 'unavailable', `${key}: ${timedOut ? `no answer within ${timeoutMs} ms` : 'network error'}`, { service: key, messageId });
    }
  }

  private address(service: ServiceRef, call: InteropCall, messageId: string): { url: string; headers: Record<string, string> } {
    const base = this.options.securityServerUrl.replace(/\/$/, '');
    const path = call.path ?? '';
    const userId: Record<string, string> = call.userId ? { 'x-road-userid': call.userId } : {};
    if (this.options.dialect === 'xroad-r1') {
      return {
        url: `${base}/r1/${serviceKey(service)}${path}`,
        headers: { 'x-road-client': subsystemPath(this.options.client), 'x-road-id': messageId, ...userId },
      };
    }
    return {
      url: `${base}${path}`,
      headers: {
        'uxp-client': subsystemPath(this.options.client),
        'uxp-service': `${serviceKey(service)}${service.version ? `/${service.version}` : ''}`,
        'x-road-id': messageId,
        ...userId,
      },
    };
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

function isFault(body: unknown): body is { type: string; message?: string; detail?: string } {
  return typeof body === 'object' && body !== null && typeof (body as { type?: unknown }).type === 'string';
}
