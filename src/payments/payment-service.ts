import type { JobQueue } from '../jobs/port.js';
import type { Logger } from '../observability/logger.js';
import type { PortalClient } from '../portal/port.js';
import type { SmsOutbox } from '../sms/outbox.js';
import type { PreferenceStore } from '../sessions/port.js';
import type { ServiceRegistry } from '../services/service-registry.js';
import type { AttemptLimiter } from '../limits/port.js';
import type { HolderProofOptions } from '../services/holder-proof.js';
import { HintConfirmations } from './hint-confirmations.js';
import { createPaymentJobs, type PaymentJobs } from './jobs.js';
import { createPaymentMenuServices } from './menu-services.js';
import { createPaymentOutcomes, type PaymentOutcomes } from './outcomes.js';
import type { PaymentProviderDirectory } from './provider-directory.js';
import { createPaymentQueues } from './queues.js';
import { createReceiptSender } from './receipts.js';
import type { PaymentStore } from './store/port.js';

// The queue names, for callers that drive the jobs by hand (tests, tools); their home is `queues.ts`.
export { COLLECT_QUEUE, CONFIRM_QUEUE, POLL_QUEUE, PORTAL_QUEUE } from './queues.js';

export interface PaymentServiceDeps {
  store: PaymentStore;
  providers: PaymentProviderDirectory;
  portal: PortalClient;
  jobs: JobQueue;
  sms: SmsOutbox;
  /** Where receipts find each recipient's language (the session store's preferences); French without. */
  preferences?: Pick<PreferenceStore, 'getLanguage'>;
  logger: Logger;
  now?: () => number;
  /** How long the citizen has to approve the PIN prompt before the payment expires. */
  expiryMs?: number;
  pollIntervalMs?: number;
  /**
   * Jobs of each payment queue run at once per process. They wait on the network (provider,
   * portal over X-Road), not the CPU; BullMQ's default of 4 made a burst of a thousand successes
   * queue up behind four portal calls.
   */
  concurrency?: number;
  /**
   * For providers that are not `resendSafe`: pauses before sending again after a failure that
   * proves nothing was sent (refused connection, throttled, credentials refused), within the one
   * job that holds the payment. After the last, the payment fails, nothing charged.
   */
  unsentRetryDelaysMs?: readonly number[];
  /**
   * The holder's NPI + birth-date proof on the pay path: give it the same attempt limiter and
   * `PII_HASH_KEY` as tracking (`createPortalServices`), so both paths count one set of mistakes.
   */
  holderProof?: HolderProofOptions;
  /**
   * Counts PIN prompts pushed for someone else (per payer number when another number pays, per
   * request when someone other than its holder starts it), `PAYMENT_PROMPT_POLICY`; Redis when
   * configured, so every instance counts together.
   */
  prompts?: AttemptLimiter;
  /** At most this many such prompts per payer number and per request in an hour. */
  promptsPerHour?: number;
  /**
   * Callback hints confirmed in this process (`hint-confirmations.ts`: coalesced per payment,
   * `concurrency` at once (default: the jobs' concurrency), the durable job for failures and overflow, the status poll behind a
   * crash) instead of a durable job each. The Node gateway sets it; absent, a job per hint.
   */
  hintsInProcess?: { maxPending?: number; concurrency?: number };
}

/**
 * The payment flow behind the menu, in three parts: the menu services (`menu-services.ts`: quote,
 * start, check), the jobs (`jobs.ts`: collect, poll, tell the portal, confirm hints, sweep the
 * overdue) and the outcomes they share (`outcomes.ts`: a provider's answer through the state
 * machine of `payment.ts`, then the portal notice and the SMS receipt).
 */
export interface PaymentService extends Omit<PaymentJobs, 'confirm'>, Pick<PaymentOutcomes, 'apply'> {
  services: ServiceRegistry;
  /** Shutdown: hints held in this process and not started go to the durable job (`hintsInProcess`). */
  handOverHints(): Promise<void>;
  /** Payments whose hint this process holds, waiting or running (0 without `hintsInProcess`), for metrics. */
  hintsPending(): number;
}

/**
 * Builds the payment flow: create, end the session, collect in the background, follow the
 * provider until an outcome, then tell the portal (durable, retried, keyed by payment id) and the
 * citizen (SMS receipt, keyed by payment id). Every step is safe to run twice. Building it starts
 * nothing: the process that runs the jobs calls `start()`.
 */
export function createPaymentService(deps: PaymentServiceDeps): PaymentService {
  const now = deps.now ?? Date.now;
  const { store, providers, portal, jobs, logger } = deps;
  const queues = createPaymentQueues(jobs, deps.pollIntervalMs ?? 5000);
  const sendReceipt = createReceiptSender({ sms: deps.sms, preferences: deps.preferences, logger });
  const outcomes = createPaymentOutcomes({ store, providers, portal, queues, sendReceipt, logger, now });
  const paymentJobs = createPaymentJobs({
    store, providers, jobs, queues, outcomes, sendReceipt, logger, now,
    unsentRetryDelaysMs: deps.unsentRetryDelaysMs ?? [1000, 4000],
    concurrency: deps.concurrency ?? 32,
  });
  const services = createPaymentMenuServices({
    store, providers, portal, queues, logger, now,
    expiryMs: deps.expiryMs ?? 10 * 60_000,
    holderProof: deps.holderProof,
    prompts: deps.prompts,
    promptsPerHour: deps.promptsPerHour,
  });
  const { collect, poll, tellPortal, reconcileOverdue, start } = paymentJobs;
  if (!deps.hintsInProcess) {
    const { enqueueHintConfirmation } = paymentJobs;
    return { services, apply: outcomes.apply, collect, poll, tellPortal, reconcileOverdue, enqueueHintConfirmation, start, handOverHints: async () => {}, hintsPending: () => 0 };
  }
  const hints = new HintConfirmations({
    confirm: paymentJobs.confirm,
    durable: paymentJobs.enqueueHintConfirmation,
    concurrency: deps.hintsInProcess.concurrency ?? deps.concurrency ?? 32,
    ...(deps.hintsInProcess.maxPending !== undefined ? { maxPending: deps.hintsInProcess.maxPending } : {}),
    logger,
  });
  return {
    services, apply: outcomes.apply, collect, poll, tellPortal, reconcileOverdue, start,
    enqueueHintConfirmation: (paymentId, candidateReference) => hints.submit(paymentId, candidateReference),
    handOverHints: () => hints.handOver(),
    hintsPending: () => hints.size,
  };
}
