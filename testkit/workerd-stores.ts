import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import type { DurableNamespace } from '../src/lib/durable-objects.js';

interface RemoteNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(url: string, init: { method: string; body: string }): Promise<{ status: number; headers: { get(name: string): string | null }; text(): Promise<string> }> };
}

const ROOT = resolve(new URL('..', import.meta.url).pathname);

export interface WorkerdStores {
  /** The Durable Object namespaces, callable from Node as the adapters call them in a Worker. */
  namespace(binding: 'PAYMENTS' | 'SMS_MESSAGES' | 'INDEXES' | 'JOBS_SEEN'): Promise<DurableNamespace>;
  /** A request to the test Worker (`testkit/workerd-stores-worker.ts`). */
  fetch(path: string, init?: { method?: string; body?: string }): Promise<Response>;
  dispose(): Promise<void>;
}

/**
 * The Worker adapters in workerd (Miniflare, from wrangler's own dependencies): the test Worker
 * bundled as wrangler bundles, its Durable Objects on SQLite storage and a local queue consumed by
 * its `queue()` export (batches of up to 10 within 100 ms, 10 retries). In memory: nothing is
 * kept between runs.
 */
export async function startWorkerdStores(): Promise<WorkerdStores> {
  const bundle = await build({
    entryPoints: [join(ROOT, 'testkit/workerd-stores-worker.ts')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser'],
    write: false,
    logLevel: 'silent',
  });
  const durable = (className: string) => ({ className, useSQLite: true });
  const mf = new Miniflare({
    modules: true,
    script: bundle.outputFiles[0]!.text,
    compatibilityDate: '2026-04-01',
    durableObjects: { PAYMENTS: durable('PaymentRequestObject'), SMS_MESSAGES: durable('SmsMessageObject'), INDEXES: durable('DurableIndexObject'), JOBS_SEEN: durable('JobObject') },
    queueProducers: { JOBS: { queueName: 'guichet-jobs' } },
    queueConsumers: { 'guichet-jobs': { maxBatchSize: 10, maxBatchTimeout: 0.1, maxRetries: 10 } },
  });
  await mf.ready;
  return {
    async namespace(binding) {
      // Typed by Miniflare against Workers typings, which this project does not install.
      const remote = (await mf.getDurableObjectNamespace(binding)) as unknown as RemoteNamespace;
      // Miniflare's stubs take its own Request class; the adapters make the platform's.
      return {
        idFromName: (name) => remote.idFromName(name),
        get: (id) => {
          const stub = remote.get(id);
          return {
            async fetch(request) {
              const answer = await stub.fetch(request.url, { method: request.method, body: await request.text() });
              return new Response(await answer.text(), { status: answer.status, headers: { 'content-type': answer.headers.get('content-type') ?? 'application/json' } });
            },
          };
        },
      };
    },
    async fetch(path, init = {}) {
      const answer = await mf.dispatchFetch(`http://worker.test${path}`, init);
      return new Response(await answer.text(), { status: answer.status });
    },
    dispose: () => mf.dispose(),
  };
}
