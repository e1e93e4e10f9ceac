import { z } from 'zod';
import type { BodyDescriptor, ErrorOutcome, RouteDescriptor } from '../http/route-descriptor.js';
import { PAYMENT_STATES } from './payment.js';

/**
 * A payment API's callback as the OpenAPI document shows it: what the provider sends to
 * `/payments/<name>/callback`, how it is believed, and with what method. The provider gives its
 * `parseCallback`'s own schema to its `…CallbackDoc(schema)`, so the document shows what the
 * parser validates.
 */
export interface PaymentCallbackDoc {
  methods: readonly ('POST' | 'PUT')[];
  /** Where the provider documents its callback. */
  reference: string;
  /** How the callback is believed (signature, shared secret, or only a hint to ask the status API). */
  trust: string;
  security: RouteDescriptor['security'];
  request: BodyDescriptor;
  /** The statuses its own checks refuse with (`rejected`). */
  rejects: readonly (400 | 401 | 403)[];
  /** What its parser can make of an authentic callback (`CallbackVerdict` kinds). */
  verdicts: readonly ('verified' | 'hint' | 'ignored')[];
}

/** A signed callback's status, applied once. */
export const AppliedAnswer = z.object({ paymentId: z.uuid(), state: z.enum(PAYMENT_STATES).describe('The payment’s state once the callback is applied (the same again for a replay).') });
/** A hint: the status API is asked, in a job. */
export const QueuedAnswer = z.object({ paymentId: z.uuid(), queued: z.literal(true) });
/** Authentic but about nothing we follow (another event): acknowledged so it is not sent again. */
export const IgnoredAnswer = z.object({ ignored: z.string() });

const PAYMENT_ID = '3f0c9a52-8d1e-4b7a-a6c4-2e9b1d7f5a30';

/** `POST|PUT /payments/<name>/callback` for one provider, one operation per method it sends with. */
export function paymentCallbackDescriptors(provider: string, doc: PaymentCallbackDoc): RouteDescriptor[] {
  const errors: ErrorOutcome[] = [
    ...doc.rejects.map((status): ErrorOutcome => ['rejected', status]),
    'bad_request',
    'not_found',
    'payload_too_large',
    'unavailable',
  ];
  return doc.methods.map((method) => ({
    method,
    path: `/payments/${provider}/callback`,
    servedBy: '/payments/:provider/callback',
    operationId: `paymentCallback.${provider}${doc.methods.length > 1 ? `.${method.toLowerCase()}` : ''}`,
    tag: 'payment-callbacks',
    summary: `${provider}: a payment moved`,
    description: `${doc.trust} Format: ${doc.reference}. The payment it names must be one of ours (a UUID) before anything is looked up; replays and duplicates meet the state machine, which applies each move once. A 503 carries Retry-After: the provider should send it again.`,
    security: doc.security,
    request: { body: doc.request },
    responses: answers(doc),
    errors,
  }));
}

function answers(doc: PaymentCallbackDoc): RouteDescriptor['responses'] {
  const verified = doc.verdicts.includes('verified');
  const ignored = doc.verdicts.includes('ignored');
  const responses: Record<number, RouteDescriptor['responses'][number]> = {};
  if (verified || ignored) {
    responses[200] = {
      description: [verified ? 'Applied: a signed status, once (a replay answers the same state).' : '', ignored ? 'Acknowledged and ignored: authentic, about nothing we follow.' : ''].filter(Boolean).join(' '),
      body: {
        contentType: 'application/json',
        schema: verified && ignored ? z.union([AppliedAnswer, IgnoredAnswer]) : verified ? AppliedAnswer : IgnoredAnswer,
        examples: {
          ...(verified ? { applied: { summary: 'Applied', value: { paymentId: PAYMENT_ID, state: 'succeeded' } } } : {}),
          ...(ignored ? { ignored: { summary: 'Another event', value: { ignored: 'event customer.created' } } } : {}),
        },
      },
    };
  }
  if (doc.verdicts.includes('hint')) {
    responses[202] = {
      description: 'A hint: the provider’s status API is asked in a job, and decides.',
      body: { contentType: 'application/json', schema: QueuedAnswer, examples: { queued: { summary: 'Queued', value: { paymentId: PAYMENT_ID, queued: true } } } },
    };
  }
  return responses;
}
