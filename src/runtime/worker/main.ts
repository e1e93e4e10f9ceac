/**
 * Cloudflare Workers entry point: the whole gateway (`gateway.ts`, the same `createApp` as Node),
 * built once per isolate on its first request, with configuration from the Worker's variables and
 * secrets, sessions in Durable Objects and menus from the generated bundle (`menus.generated.ts`).
 * `queue()` runs the background jobs delivered by Cloudflare Queues, `scheduled()` the sweeps Node
 * runs on timers. A configuration a Worker cannot serve (SMPP) is answered on every request with
 * the reason, logged once.
 */
import { Hono } from 'hono';
import { errorResponse } from '../../http/errors.js';
import type { Logger } from '../../observability/logger.js';
import { createWorkerGateway, WorkerStartupError, type WorkerBindings, type WorkerGateway } from './gateway.js';
import { workerPlatform, type PlatformBindings, type QueueBatch } from './platform.js';

export { SessionObject } from '../../sessions/durable-object.js';
export * from './platform-objects.js';

type Env = WorkerBindings & PlatformBindings;

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

/** JSON lines on the console, as pino writes them on Node; callers mask personal data first. */
const consoleLogger: Logger = {
  debug: () => {},
  info: (fields, message) => console.log(JSON.stringify({ level: 'info', message, ...fields })),
  warn: (fields, message) => console.warn(JSON.stringify({ level: 'warn', message, ...fields })),
  error: (fields, message) => console.error(JSON.stringify({ level: 'error', message, ...fields })),
};

let started: { gateway: WorkerGateway } | { refused: Hono } | undefined;

/** The gateway of this isolate, or the app that answers why it could not start (logged once). */
function gatewayFor(env: Env): { gateway: WorkerGateway } | { refused: Hono } {
  if (started) return started;
  try {
    started = { gateway: createWorkerGateway(env, workerPlatform(env, consoleLogger), consoleLogger) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    // Configuration problems name variables, never their values (src/config.ts).
    consoleLogger.error({ err: reason, refused: error instanceof WorkerStartupError }, 'gateway not started: configuration');
    const refused = new Hono();
    refused.all('*', (c) => errorResponse(c, 'unavailable', `gateway not started: ${reason}`));
    started = { refused };
  }
  return started;
}

export default {
  fetch(request: Request, env: Env): Response | Promise<Response> {
    const current = gatewayFor(env);
    return 'gateway' in current ? current.gateway.app.fetch(request) : current.refused.fetch(request);
  },

  /** Cloudflare Queues: each message is one job of the `JobQueue` port, handed to its handler. */
  async queue(batch: QueueBatch, env: Env): Promise<void> {
    const current = gatewayFor(env);
    if (!('gateway' in current)) {
      // Not acknowledged: the messages come back once the configuration is fixed.
      batch.retryAll?.();
      return;
    }
    await current.gateway.platform.handleBatch(batch);
  },

  /** The Cron Trigger (wrangler.toml `[triggers]`): overdue payments reconciled, SMS past their validity expired. */
  scheduled(_controller: unknown, env: Env, ctx: ExecutionContext): void {
    const current = gatewayFor(env);
    if (!('gateway' in current)) return;
    ctx.waitUntil(
      current.gateway.sweep().then(
        (swept) => consoleLogger.info(swept, 'scheduled sweep'),
        (error: unknown) => consoleLogger.warn({ err: error instanceof Error ? error.message : String(error) }, 'scheduled sweep failed, next round retries'),
      ),
    );
  },
};
