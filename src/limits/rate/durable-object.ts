import { callDurableObject, type DurableNamespace, type DurableState } from '../../lib/durable-objects.js';
import { decide, rollWindow, type RateDecision, type RateLimiter, type RatePolicy, type RateWindow } from './port.js';

/**
 * Rate limits on Cloudflare Workers: one Durable Object per limited key (an agency, a caller's
 * hashed number), so every isolate of every location counts into one window, as Redis does for
 * Node instances. The object runs one request at a time and a request that awaits only its own
 * storage lets no other in, so read, decide and write below is atomic: concurrent hits all count.
 * An alarm forgets the key two windows after its last hit.
 */

type HitCommand = { key: string; policy: RatePolicy; nowMs: number };
type StoredWindow = RateWindow & { windowMs: number };

/** The Durable Object class (bound as `RATE_LIMITS` in wrangler.toml). */
export class RateLimitObject {
  constructor(private readonly state: DurableState) {}

  async fetch(request: Request): Promise<Response> {
    const { policy, nowMs } = (await request.json()) as HitCommand;
    const stored = await this.state.storage.get<StoredWindow>('window');
    const window = rollWindow(stored && stored.windowMs === policy.windowMs ? stored : null, policy, nowMs);
    const decision = decide(window, policy, nowMs);
    const current = decision.allowed ? window.current + 1 : window.current;
    await this.state.storage.put<StoredWindow>('window', { startMs: window.startMs, current, previous: window.previous, windowMs: policy.windowMs });
    await this.state.storage.setAlarm(window.startMs + 2 * policy.windowMs);
    return Response.json(decision);
  }

  async alarm(): Promise<void> {
    await this.state.storage.deleteAll();
  }
}

/** `RateLimiter` over the `RateLimitObject` namespace. */
export class DurableObjectRateLimiter implements RateLimiter {
  constructor(
    private readonly namespace: DurableNamespace,
    private readonly prefix = 'rate:',
  ) {}

  hit(key: string, policy: RatePolicy, nowMs: number): Promise<RateDecision> {
    return callDurableObject<RateDecision>(this.namespace, `${this.prefix}${key}`, { key, policy, nowMs } satisfies HitCommand);
  }
}
