/**
 * Which phone number is enrolled for which matricule, and the one-time codes that confirm an
 * enrolment. Kept per number: the caller names a number by a keyed hash of it (`numberKey`), so
 * the store never holds a phone number; it does hold the matricule, which the agencies are asked
 * about. Codes are stored hashed (the caller hashes them), expire, and count their attempts
 * atomically, so guesses made at once on several instances all count. Node wires Redis
 * (`redis.ts`), the embedded default and tests memory (`memory.ts`); both run one conformance suite.
 */

/** A code sent and not yet confirmed. */
export interface PendingCode {
  matricule: string;
  /** The caller's keyed hash of the code; the code itself is never stored. */
  codeHash: string;
  /** Attempts made at this code, this one included when returned by `takeAttempt`. */
  attempts: number;
  expiresAtMs: number;
}

/** How long a code lives and how many tries it allows. */
export interface CodePolicy {
  ttlMs: number;
  maxAttempts: number;
}

/** Five minutes (an SMS is seconds away; a USSD session lasts three), three tries. */
export const ENROLMENT_CODE_POLICY: CodePolicy = { ttlMs: 5 * 60_000, maxAttempts: 3 };

export interface EnrolmentStore {
  /** The matricule enrolled on this number, or null. */
  enrolled(numberKey: string): Promise<string | null>;
  /** Starts a pending enrolment with a fresh code: it voids any code sent before, attempts start at 0. */
  startPending(numberKey: string, pending: { matricule: string; codeHash: string }, ttlMs: number, nowMs: number): Promise<void>;
  /**
   * Counts one attempt at the pending code and returns it as it now stands, or null when none is
   * pending (never sent, expired, confirmed or dropped). The caller compares the hashes.
   */
  takeAttempt(numberKey: string, nowMs: number): Promise<PendingCode | null>;
  /**
   * Enrols the pending matricule on the number, if the pending code is still the one with
   * `codeHash` (a newer code voids an older one even mid-check), and drops the code: one step.
   * Returns the matricule enrolled, or null when nothing was.
   */
  complete(numberKey: string, codeHash: string, nowMs: number): Promise<string | null>;
  /** Drops the pending code (its tries are spent). */
  dropPending(numberKey: string): Promise<void>;
  /** Forgets the number's enrolment and any pending code. */
  unenrol(numberKey: string): Promise<void>;
}
