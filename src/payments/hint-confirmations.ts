import type { Logger } from '../observability/logger.js';

export interface HintConfirmationsDeps {
  /**
   * Confirms one hint: reads the payment, asks the provider, applies, tells the portal
   * (`PaymentJobs.confirm`); calls `onAsk` as the status question leaves.
   */
  confirm(paymentId: string, candidateReference: string | undefined, onAsk: () => void): Promise<void>;
  /** The durable confirmation job (`PaymentQueues.confirm`): for a hint that failed here, or found the runner full. */
  durable(paymentId: string, candidateReference?: string): Promise<void>;
  /** Confirmations running at once (`PAYMENT_HINT_CONCURRENCY`). */
  concurrency: number;
  /** Payments waiting or running here at most; past it, hints go to the durable job. */
  maxPending?: number;
  /** How long `handOver` waits for the confirmations running (default 5 s): the stores close after it. */
  drainMs?: number;
  logger: Logger;
}

interface Pending {
  candidateReference: string | undefined;
  running: boolean;
  /** The running confirmation's status question has left: a hint from now on needs a look of its own. */
  asked: boolean;
  /** `asked`, set by the confirmation (made once per payment held here, not per run). */
  markAsked: () => void;
  /** A hint came while this payment's confirmation ran: it is looked at once more after it. */
  again: boolean;
}

const DEFAULT_MAX_PENDING = 10_000;

/**
 * Callback hints confirmed in this process, instead of each being a durable job (issue 18 part 2:
 * in a burst of callbacks, the confirmation jobs' three BullMQ scripts each were a quarter of the
 * gateway's CPU and more of Redis's). The callback route still only hands the hint over and
 * answers at once.
 *
 * What a durable job gave, and what gives it here:
 * - Coalescing: one confirmation per payment waits or runs; a hint for a waiting payment is
 *   absorbed, and so is one that comes before the running confirmation asks the provider (its
 *   question covers it); one that comes after makes one more look, so a success that came after
 *   an earlier PENDING answer is still seen (the rule of the job port's `coalesceKey`, kept by
 *   `src/payments/hint-confirmations.test.ts` and `test/payments/hint-confirmations.test.ts`).
 * - Retries: a confirmation that fails (the provider's status API or the store away) is handed to
 *   the durable job, with its attempts and back-off.
 * - A crash: the hints waiting or running in a process that dies are lost with it, not the
 *   payment. Every pending payment has its durable status poll (`PaymentJobs.poll`: every minute
 *   when the provider calls back), which finds the success and finishes what was not told
 *   (`finishUntold`), and the overdue sweep is behind it. A crash costs that payment a minute.
 * - Bounded: past `maxPending` payments here, hints go to the durable job as before.
 * On shutdown, `handOver` gives the durable job what has not started.
 */
export class HintConfirmations {
  private readonly pending = new Map<string, Pending>();
  private readonly queue: string[] = [];
  /** The confirmations running now: at most `concurrency`, and what `handOver` waits on. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly maxPending: number;
  private closed = false;

  constructor(private readonly deps: HintConfirmationsDeps) {
    this.maxPending = deps.maxPending ?? DEFAULT_MAX_PENDING;
  }

  /** Takes a hint: resolves once it is held here, or once the durable job holds it. */
  submit(paymentId: string, candidateReference?: string): Promise<void> {
    const known = this.pending.get(paymentId);
    if (known) {
      // Before the running confirmation asks the provider, its answer covers this hint too.
      if (known.running && known.asked) known.again = true;
      known.candidateReference ??= candidateReference;
      return Promise.resolve();
    }
    if (this.closed || this.pending.size >= this.maxPending) return this.deps.durable(paymentId, candidateReference);
    const entry: Pending = { candidateReference, running: false, asked: false, again: false, markAsked: () => void (entry.asked = true) };
    this.pending.set(paymentId, entry);
    this.queue.push(paymentId);
    this.pump();
    return Promise.resolve();
  }

  /** Payments waiting or running here (for tests and metrics). */
  get size(): number {
    return this.pending.size;
  }

  /**
   * Shutdown: what has not started goes to the durable job, what runs is waited for (at most
   * `drainMs`, then left to the poller), so the stores are not closed under it. Hints that come
   * after go to the durable job too.
   */
  async handOver(): Promise<void> {
    this.closed = true;
    const waiting = this.queue.splice(0);
    await Promise.all(
      waiting.map(async (paymentId) => {
        const entry = this.pending.get(paymentId);
        this.pending.delete(paymentId);
        await this.toDurable(paymentId, entry?.candidateReference);
      }),
    );
    if (this.inFlight.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const budget = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.deps.drainMs ?? 5_000)));
    await Promise.race([Promise.allSettled([...this.inFlight]), budget]);
    clearTimeout(timer);
  }

  private pump(): void {
    while (this.inFlight.size < this.deps.concurrency && this.queue.length > 0) {
      const run = this.run(this.queue.shift()!);
      this.inFlight.add(run);
      // `run` never rejects; once it is over, its place goes to the next waiting payment.
      void run.finally(() => {
        this.inFlight.delete(run);
        this.pump();
      });
    }
  }

  private async run(paymentId: string): Promise<void> {
    const entry = this.pending.get(paymentId);
    if (!entry) return;
    entry.running = true;
    entry.asked = false;
    entry.again = false;
    try {
      await this.deps.confirm(paymentId, entry.candidateReference, entry.markAsked);
    } catch (error) {
      this.deps.logger.warn({ paymentId, err: error instanceof Error ? error.message : String(error) }, 'payment hint not confirmed here: handed to the confirmation job');
      await this.toDurable(paymentId, entry.candidateReference);
    } finally {
      entry.running = false;
      if (!entry.again) this.pending.delete(paymentId);
      else if (!this.closed) this.queue.push(paymentId);
      else {
        // Shutting down: the one more look goes to the durable job.
        this.pending.delete(paymentId);
        void this.toDurable(paymentId, entry.candidateReference);
      }
    }
  }

  private async toDurable(paymentId: string, candidateReference: string | undefined): Promise<void> {
    try {
      await this.deps.durable(paymentId, candidateReference);
    } catch (error) {
      // The queue (Redis) is away too: the payment's poll job, or the overdue sweep, settles it.
      this.deps.logger.warn({ paymentId, err: error instanceof Error ? error.message : String(error) }, 'payment hint not queued either: left to the status poll');
    }
  }
}
