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

/**
 * Who a matricule is enrolled for now: that number's key, and the number itself sealed
 * (`src/lib/seal.ts`), so that it can be told when the matricule is enrolled on another number,
 * without the store holding it in clear.
 */
export interface MatriculeHolder {
  numberKey: string;
  sealedNumber: string;
}

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
  /**
   * Makes `holder` the matricule's holder (the caller's keyed hash of the matricule names it) and
   * returns the holder it replaced, or null: one atomic step, so of two enrolments at once each
   * is handed the other's or none, never the same previous one twice.
   */
  exchangeHolder(matriculeKey: string, holder: MatriculeHolder): Promise<MatriculeHolder | null>;
  /** Forgets the matricule's holder if it is still `numberKey` (that number unenrolled). */
  releaseHolder(matriculeKey: string, numberKey: string): Promise<void>;
  /**
   * Unenrols the number only if it is still enrolled for `matricule`, in one step; true when it
   * was (a number that enrolled another matricule since keeps it).
   */
  unenrolIf(numberKey: string, matricule: string): Promise<boolean>;
}
