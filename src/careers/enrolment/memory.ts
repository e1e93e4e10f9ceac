import type { EnrolmentStore, MatriculeHolder, PendingCode } from './port.js';

/** In-process enrolments for the embedded default and tests; bounded, oldest forgotten first. */
export class MemoryEnrolmentStore implements EnrolmentStore {
  private readonly enrolments = new Map<string, string>();
  private readonly pending = new Map<string, PendingCode>();
  private readonly holders = new Map<string, MatriculeHolder>();

  constructor(private readonly maxEntries = 100_000) {}

  async enrolled(numberKey: string): Promise<string | null> {
    return this.enrolments.get(numberKey) ?? null;
  }

  async startPending(numberKey: string, pending: { matricule: string; codeHash: string }, ttlMs: number, nowMs: number): Promise<void> {
    this.pending.delete(numberKey);
    this.pending.set(numberKey, { ...pending, attempts: 0, expiresAtMs: nowMs + ttlMs });
    this.bound(this.pending);
  }

  async takeAttempt(numberKey: string, nowMs: number): Promise<PendingCode | null> {
    // Read and write with no await between them: concurrent attempts all count.
    const code = this.live(numberKey, nowMs);
    if (!code) return null;
    code.attempts += 1;
    return { ...code };
  }

  async complete(numberKey: string, codeHash: string, nowMs: number): Promise<string | null> {
    const code = this.live(numberKey, nowMs);
    if (!code || code.codeHash !== codeHash) return null;
    this.pending.delete(numberKey);
    this.enrolments.delete(numberKey);
    this.enrolments.set(numberKey, code.matricule);
    this.bound(this.enrolments);
    return code.matricule;
  }

  async dropPending(numberKey: string): Promise<void> {
    this.pending.delete(numberKey);
  }

  async unenrol(numberKey: string): Promise<void> {
    this.enrolments.delete(numberKey);
    this.pending.delete(numberKey);
  }

  async exchangeHolder(matriculeKey: string, holder: MatriculeHolder): Promise<MatriculeHolder | null> {
    const previous = this.holders.get(matriculeKey) ?? null;
    this.holders.delete(matriculeKey);
    this.holders.set(matriculeKey, { ...holder });
    this.bound(this.holders);
    return previous;
  }

  async releaseHolder(matriculeKey: string, numberKey: string): Promise<void> {
    if (this.holders.get(matriculeKey)?.numberKey === numberKey) this.holders.delete(matriculeKey);
  }

  async unenrolIf(numberKey: string, matricule: string): Promise<boolean> {
    if (this.enrolments.get(numberKey) !== matricule) return false;
    this.enrolments.delete(numberKey);
    return true;
  }

  private live(numberKey: string, nowMs: number): PendingCode | undefined {
    const code = this.pending.get(numberKey);
    if (code && code.expiresAtMs <= nowMs) {
      this.pending.delete(numberKey);
      return undefined;
    }
    return code;
  }

  private bound(map: Map<string, unknown>): void {
    if (map.size > this.maxEntries) map.delete(map.keys().next().value as string);
  }
}
