import type { HttpBindings } from '@hono/node-server';
import type { Context } from 'hono';
import { serveOnLoopback } from '../loopback-server.js';

/*
 * The shared primitives of the fake payment APIs: every fake (MoMo, Moov, FedaPay, KKiaPay) is a
 * Hono app on a loopback port that can misbehave on any of its operations in the same few ways,
 * and can deliver its callbacks once, in duplicate, late or replayed. A provider's own odd answers
 * (a SOAP fault, an HTML error page) stay in that provider's fake.
 */

/**
 * What the network can do to one answer. Each is applied after the fake has processed the request
 * (the prompt pushed, the transaction stored), because that is the case that costs money:
 * - `hang`: never answers (held until `release()` answers normally, or `close()` drops it);
 * - `lost`: the connection is closed once the request is received, without an answer;
 * - `reset`: the connection is reset (TCP RST) instead of answered;
 * - `delayed`: answered normally after `delayMs`, inside the client's deadline.
 */
export type NetworkMisbehaviour = 'hang' | 'lost' | 'reset' | 'delayed';

export const NETWORK_MISBEHAVIOURS: readonly NetworkMisbehaviour[] = ['hang', 'lost', 'reset', 'delayed'];

export function isNetworkMisbehaviour(value: unknown): value is NetworkMisbehaviour {
  return typeof value === 'string' && (NETWORK_MISBEHAVIOURS as readonly string[]).includes(value);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** @hono/node-server hands the Node request and response to the app as its env. */
function socketOf(c: Context): HttpBindings['incoming']['socket'] | undefined {
  const env: unknown = c.env;
  if (!isRecord(env) || !isRecord(env.incoming) || !('socket' in env.incoming)) return undefined;
  return (env as unknown as HttpBindings).incoming.socket;
}

/** Requests held by `hang`, answered by `release()` or dropped by `close()`. */
export class HeldAnswers {
  private readonly waiting = new Set<(outcome: 'answer' | 'drop') => void>();
  private closing = false;

  get size(): number {
    return this.waiting.size;
  }

  wait(): Promise<'answer' | 'drop'> {
    if (this.closing) return Promise.resolve('drop');
    return new Promise((resolve) => this.waiting.add(resolve));
  }

  /** Answers every held request normally. */
  release(): void {
    for (const resolve of this.waiting) resolve('answer');
    this.waiting.clear();
  }

  /** Drops every held request (and any later one): the fake is going away. */
  drop(): void {
    this.closing = true;
    for (const resolve of this.waiting) resolve('drop');
    this.waiting.clear();
  }
}

/**
 * What a fake keeps to misbehave on demand: the mode set on each of its operations (a shared
 * network misbehaviour or one of the provider's own odd answers), and the requests `hang` holds.
 * Its `misbehave` and `release` are the fake's own controls, as the conformance suite drives them.
 */
export class Misbehaviours<Operation extends string, Mode extends string = NetworkMisbehaviour> {
  readonly held = new HeldAnswers();
  private readonly modes = new Map<Operation, Mode>();

  modeOf(operation: Operation): Mode | undefined {
    return this.modes.get(operation);
  }

  /** How `operation` is answered from now on; `undefined` puts it right. */
  readonly misbehave = (operation: Operation, mode: Mode | undefined): void => {
    if (mode) this.modes.set(operation, mode);
    else this.modes.delete(operation);
  };

  /** Answers every request held by `hang` normally. */
  readonly release = (): void => this.held.release();

  /**
   * Applies the network misbehaviour set on `operation`, if that is what is set, or answers; the
   * provider's own modes are for the fake to answer before calling this.
   */
  network(c: Context, operation: Operation, answer: () => Response, options: { delayMs?: number } = {}): Promise<Response> {
    const mode = this.modes.get(operation);
    return answerOrMisbehave(c, isNetworkMisbehaviour(mode) ? mode : undefined, answer, { held: this.held, ...options });
  }
}

/**
 * Misbehaves as told, or answers. `answer` is built only when an answer is really sent, after the
 * request was processed by the caller.
 */
export async function answerOrMisbehave(
  c: Context,
  mode: NetworkMisbehaviour | undefined,
  answer: () => Response,
  options: { held: HeldAnswers; delayMs?: number },
): Promise<Response> {
  switch (mode) {
    case undefined:
      return answer();
    case 'delayed':
      await new Promise((resolve) => setTimeout(resolve, options.delayMs ?? 50));
      return answer();
    case 'hang': {
      const outcome = await options.held.wait();
      if (outcome === 'answer') return answer();
      socketOf(c)?.destroy();
      return new Response(null, { status: 500 });
    }
    case 'lost':
      // Received and processed; the answer never leaves.
      socketOf(c)?.destroy();
      return new Response(null, { status: 500 });
    case 'reset': {
      const socket = socketOf(c);
      if (socket && 'resetAndDestroy' in socket && typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
      else socket?.destroy();
      return new Response(null, { status: 500 });
    }
  }
}

/** What a reverse proxy (nginx) in front of a provider's API answers when the API behind it is down. */
export function html502(): Response {
  return new Response('<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>', {
    status: 502,
    headers: { 'content-type': 'text/html; charset=UTF-8' },
  });
}

/** A callback as the provider sends it: method, headers and the raw body (signatures cover bytes). */
export interface ProviderCallback {
  path: string;
  method: 'POST' | 'PUT';
  headers: Record<string, string>;
  body: string;
}

/** Where a fake delivers its callbacks: the gateway's app in tests (`app.request`), a URL in the bench. */
export type CallbackTarget = (callback: ProviderCallback) => Promise<Response>;

export function callbackTargetOf(app: { request(path: string, init: RequestInit): Response | Promise<Response> }): CallbackTarget {
  return (callback) => Promise.resolve(app.request(callback.path, { method: callback.method, headers: callback.headers, body: callback.body }));
}

/**
 * Delivers a callback the way providers do: `copies` at once (a provider retrying before our first
 * answer came back, or two of its workers racing), after `delayMs` (late), each answered separately.
 */
export async function deliver(target: CallbackTarget, callback: ProviderCallback, options: { copies?: number; delayMs?: number } = {}): Promise<Response[]> {
  if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
  return Promise.all(Array.from({ length: options.copies ?? 1 }, () => target(callback)));
}

/** What the provider's side of a collection ends as, as the suite sets it. */
export type FakeOutcome =
  | { status: 'succeeded'; amountXof?: number; currency?: string }
  | { status: 'failed' }
  /** Paid, then refunded (wholly or in part) at the provider. */
  | { status: 'refunded'; partial: boolean }
  /** A status the provider's published lists do not have. */
  | { status: 'unknown' };

/**
 * What the conformance suite drives in every fake payment API. Each fake also has its own richer
 * controls for its provider's tests.
 */
export interface PaymentApiFake {
  /** Where the provider is pointed (Moov: the SOAP endpoint itself). */
  readonly baseUrl: string;
  /** Every call the adapter makes, in the order of a collection; each can misbehave. */
  readonly operations: readonly string[];
  /** The operation that pushes the PIN prompt to the payer's wallet. */
  readonly pushOperation: string;
  misbehave(operation: string, mode: NetworkMisbehaviour | undefined): void;
  /** Answers every request held by `hang` normally. */
  release(): void;
  /**
   * Collections pushed to wallets that could each be charged: a payment must never cause two. For
   * MoMo a reference id, for FedaPay a transaction (each is paid at most once), for Moov and KKiaPay
   * every push (they have no idempotency key).
   */
  pushes(): number;
  /** The provider's side of the payment: the payer answered the prompt (or something else happened). */
  settle(paymentId: string, outcome: FakeOutcome): void;
  /** The callback the provider sends for the payment as it stands, when it sends callbacks at all. */
  callbackFor?(paymentId: string, nowMs: number): ProviderCallback;
  /** The same callback as someone without the provider's secret sends it, claiming success. */
  forgedCallbackFor?(paymentId: string, nowMs: number): ProviderCallback;
  close(): Promise<void>;
}

/** Serves a fake's app on loopback; `close` drops what is still held first. */
export async function serveFake(app: { fetch: Parameters<typeof serveOnLoopback>[0]['fetch'] }, held: HeldAnswers): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const server = await serveOnLoopback(app);
  return {
    baseUrl: server.baseUrl,
    close: async () => {
      held.drop();
      await server.close();
    },
  };
}

/** Checks that a fake offers what the conformance suite drives, keeping its own richer type. */
export function paymentApiFake<Fake extends PaymentApiFake>(fake: Fake): Fake {
  return fake;
}
