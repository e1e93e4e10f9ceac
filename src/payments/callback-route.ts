import type { Hono } from 'hono';
import type { z } from 'zod';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { errorAnswerWithHeaders, type ApiErrorBody } from '../http/errors.js';
import { describeRoutes } from '../http/route-descriptor.js';
import { paymentCallbackDescriptors, type AppliedAnswer, type IgnoredAnswer, type QueuedAnswer } from './callback-doc.js';
import type { Logger } from '../observability/logger.js';
import { confirmHint } from './confirm-hint.js';
import type { CallbackParser } from './payment-provider-callback.js';
import type { PaymentProvider, ProviderStatus } from './port.js';
import type { PaymentProviderDirectory } from './provider-directory.js';
import type { Payment, PaymentState } from './payment.js';
import { isPaymentId } from './payment-id.js';
import type { PaymentStore } from './store/port.js';

export interface PaymentCallbackDeps {
  providers: PaymentProviderDirectory;
  store: PaymentStore;
  apply(payment: Payment, status: ProviderStatus, source: string): Promise<PaymentState>;
  logger: Logger;
  now?: () => number;
  /**
   * Queues the confirmation of a hint (a durable job: `PaymentService.enqueueHintConfirmation`).
   * Absent, the confirmation runs detached in this process: the answer still leaves at once, and
   * the status poller is the net should the process die meanwhile.
   */
  enqueueHintConfirmation?(paymentId: string, candidateReference?: string): Promise<void>;
}

/** The headers of a callback, as the route reads them, whatever carries it (Hono's `c.req`, node:http). Names in lower case. */
export interface CallbackHeaders {
  header(name: string): string | undefined;
}

/** A callback's answer before any framework writes it: the status, the JSON body, its headers besides (`retry-after`). */
export interface CallbackAnswer {
  status: ContentfulStatusCode;
  body: z.infer<typeof QueuedAnswer> | z.infer<typeof AppliedAnswer> | z.infer<typeof IgnoredAnswer> | ApiErrorBody;
  headers?: Readonly<Record<string, string>>;
}

/**
 * `POST|PUT /payments/<provider>/callback` without a framework: from the provider named in the path,
 * the call's headers and its raw body to the answer. The Hono route (Workers, tests, `app.request`)
 * and the Node runtime's listener (`src/runtime/node/payment-callback-listener.ts`, which answers
 * straight from node:http: issue 18 part 2) both call it, so a provider cannot tell which path
 * answered (`test/payment-callback-listener.test.ts`). What nobody planned (a store away in a way
 * not caught here) is thrown, for the caller's error handler to answer 503.
 *
 * Nothing in a callback is believed unless the provider signs it and the signature checks; unsigned
 * callbacks (MoMo) only name a payment to re-check with the provider's status API. That check is
 * handed over, never awaited: MoMo gives up on a callback after 2 s, retries, and blocks a URL that
 * keeps failing (momodeveloper.mtn.com, "Callback"), so the answer (202) must not wait on MoMo's own
 * status API. Replays and duplicates meet the state machine, which applies each move once.
 */
export class PaymentCallbackHttp {
  private readonly now: () => number;

  constructor(private readonly deps: PaymentCallbackDeps) {
    this.now = deps.now ?? Date.now;
  }

  async handle(name: string, call: CallbackHeaders, rawBody: string): Promise<CallbackAnswer> {
    const deps = this.deps;
    const provider: (PaymentProvider & Partial<CallbackParser>) | undefined = deps.providers.byName(name);
    if (!provider?.parseCallback) return errorAnswerWithHeaders('not_found', `no payment provider ${name} takes callbacks`);
    const verdict = await provider.parseCallback({ rawBody, header: (h) => call.header(h.toLowerCase()) }, this.now());
    if (verdict.kind === 'rejected') {
      deps.logger.warn({ provider: name, reason: verdict.reason }, 'payment callback rejected');
      return errorAnswerWithHeaders('rejected', verdict.reason, { status: verdict.httpStatus });
    }
    if (verdict.kind === 'ignored') return { status: 200, body: { ignored: verdict.reason } satisfies z.infer<typeof IgnoredAnswer> };
    // Checked before any store access: an outside string never reaches a store key (issue 11 item 7).
    if (!isPaymentId(verdict.paymentId)) return errorAnswerWithHeaders('bad_request', 'not a payment id of ours');
    if (verdict.kind === 'hint') {
      // A hint needs only to know that the payment is this provider's: the confirmation reads the
      // whole payment when it runs. The history and flags `get` assembles were most of the route's
      // Redis work, for every duplicate too (issue 18 part 2).
      const paymentId = verdict.paymentId;
      let madeWith: string | null;
      try {
        madeWith = await deps.store.providerOf(paymentId);
      } catch (error) {
        return this.unavailable(name, paymentId, 'read', error);
      }
      if (madeWith !== name) return errorAnswerWithHeaders('not_found', 'no such payment');
      try {
        if (deps.enqueueHintConfirmation) {
          await deps.enqueueHintConfirmation(paymentId, verdict.providerReference);
        } else {
          void confirmHint(deps, provider, paymentId, verdict.providerReference).catch((error: Error) => {
            deps.logger.warn({ provider: name, paymentId, err: error.message }, 'payment callback not confirmed');
          });
        }
      } catch (error) {
        // The queue (Redis) is away: the provider retries its callback, the poller also runs.
        return this.unavailable(name, paymentId, 'queued', error);
      }
      return { status: 202, body: { paymentId, queued: true } satisfies z.infer<typeof QueuedAnswer> };
    }
    // A signed outcome is applied here: it needs the whole payment.
    let payment: Payment | null;
    try {
      payment = await deps.store.get(verdict.paymentId);
    } catch (error) {
      return this.unavailable(name, verdict.paymentId, 'read', error);
    }
    if (!payment || payment.provider !== name) return errorAnswerWithHeaders('not_found', 'no such payment');
    const found = payment;
    try {
      // Signed by the provider: its id for the payment is kept as it comes.
      if (verdict.providerReference && !payment.providerReference) payment = await this.keepReference(payment, verdict.providerReference);
      const state = await deps.apply(payment, verdict.status, 'callback verified');
      return { status: 200, body: { paymentId: payment.id, state } satisfies z.infer<typeof AppliedAnswer> };
    } catch (error) {
      return this.unavailable(name, found.id, 'applied', error);
    }
  }

  private async keepReference(payment: Payment, reference: string): Promise<Payment> {
    const kept = await this.deps.store.rememberReference(payment.id, reference);
    return { ...payment, ...(kept ? { providerReference: kept } : {}) };
  }

  /**
   * The store or the queue is away (Redis down): 503 with a hint, so the provider retries later
   * rather than taking a 500 as final (MoMo retries and KKiaPay retries 5 times from 500 ms).
   */
  private unavailable(provider: string, paymentId: string, what: string, error: unknown): CallbackAnswer {
    this.deps.logger.warn({ provider, paymentId, err: error instanceof Error ? error.message : String(error) }, `payment callback not ${what}`);
    return errorAnswerWithHeaders('unavailable', `callback could not be ${what}, retry later`, { headers: { 'retry-after': String(RETRY_AFTER_SECONDS) } });
  }
}

/** `POST|PUT /payments/<provider>/callback` on Hono: `PaymentCallbackHttp`'s answer, written by `c.json`. */
export function registerPaymentCallbackRoutes(app: Hono, deps: PaymentCallbackDeps): void {
  // Each provider that takes callbacks describes its own, with the schema its parser reads with.
  describeRoutes(app, ...deps.providers.all().flatMap((provider: PaymentProvider & Partial<CallbackParser>) => (provider.callbackDoc ? paymentCallbackDescriptors(provider.name, provider.callbackDoc) : [])));
  const callbacks = new PaymentCallbackHttp(deps);
  app.on(['POST', 'PUT'], '/payments/:provider/callback', async (c) => {
    const answer = await callbacks.handle(c.req.param('provider'), c.req, await c.req.text());
    return c.json(answer.body, answer.status, answer.headers ? { ...answer.headers } : undefined);
  });
}

/** What a 503 asks the provider to wait: long enough for Redis to reconnect (1 s back-off at most). */
export const RETRY_AFTER_SECONDS = 5;
