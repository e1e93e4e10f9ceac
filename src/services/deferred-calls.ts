import { resume } from '../engine/engine.js';
import type { MenuRegistry } from '../engine/menu-registry.js';
import type { EngineState, ServiceCall } from '../engine/types.js';
import type { JobQueue } from '../jobs/port.js';
import type { Logger } from '../observability/logger.js';
import { maskMsisdn } from '../lib/mask.js';
import { startDeadline } from '../lib/deadline.js';
import type { SmsOutbox } from '../sms/outbox.js';
import type { ServiceRegistry } from './service-registry.js';

/**
 * A service call that missed the hop's time budget, finished in the background: the citizen was
 * told "we will send you the answer by SMS", and the job sends the screen the menu would have
 * shown. The job re-runs the call (services are reads), so it survives a restart with BullMQ.
 */
export interface DeferredCall {
  provider: string;
  sessionId: string;
  msisdn: string;
  /** The engine at the action node, so the answer is rendered exactly as the menu would. */
  state: EngineState;
  call: ServiceCall;
  screenLimit: number;
}

export const DEFERRED_CALLS_QUEUE = 'deferred-calls';

export interface Deferrals {
  /**
   * Queues one deferred answer. `jobId` is unique to the hop that committed it (the channel builds
   * it from the session's random id and the committed version): the same hop queued again is one
   * job, and no later hop can ever be taken for it. Never derived from the session id: phone-keyed
   * dialects reuse it for every session of a handset, and it holds the number.
   */
  defer(call: DeferredCall, options: { jobId: string }): Promise<void>;
}

export function createDeferrals(queue: JobQueue): Deferrals {
  return {
    async defer(call, { jobId }) {
      await queue.enqueue(DEFERRED_CALLS_QUEUE, call, { jobId, attempts: 5, backoffMs: 2000 });
    },
  };
}

export interface DeferredCallDeps {
  menus: MenuRegistry;
  services: ServiceRegistry;
  outbox: SmsOutbox;
  logger: Logger;
  /** Time allowed to the background call (much longer than a hop's). */
  timeoutMs?: number;
}

/** Starts consuming deferred calls; a failed or timed-out call is retried by the queue. */
export function processDeferredCalls(queue: JobQueue, deps: DeferredCallDeps): void {
  queue.process<DeferredCall>(DEFERRED_CALLS_QUEUE, async (job, ctx) => {
    const menu = deps.menus.atVersion(job.state.menuId, job.state.menuVersion);
    const handler = deps.services[job.call.service];
    if (!menu || !handler) throw new Error(`deferred ${job.call.service}: menu version or service gone`);
    const deadline = startDeadline(deps.timeoutMs ?? 30_000);
    let outcome;
    try {
      outcome = await handler(job.call.args, { msisdn: job.msisdn, language: job.state.language, signal: deadline.signal, channel: 'ussd' });
    } finally {
      deadline.clear();
    }
    if (outcome.outcome === 'timeout' || outcome.outcome === 'unavailable' || outcome.outcome === 'error') {
      throw new Error(`deferred ${job.call.service}: ${outcome.outcome} (attempt ${ctx.attempt})`);
    }
    const step = resume(menu, job.state, outcome, { msisdn: job.msisdn, screenLimit: 1000 });
    if (step.type !== 'screen') throw new Error(`deferred ${job.call.service}: the answer leads to another call`);
    // The whole answer in one message: the SMS channel splits it into segments if it must.
    const text = step.screen.text.replace(/\n[^\n]*98\.[^\n]*$|\n0\.\S+ 00\.\S+$/g, '');
    await deps.outbox.enqueue({ to: job.msisdn, text, idempotencyKey: `deferred:${ctx.jobId}`, purpose: 'status-fallback' });
    deps.logger.info({ service: job.call.service, to: maskMsisdn(job.msisdn), jobId: ctx.jobId }, 'deferred answer sent by SMS');
  });
}
