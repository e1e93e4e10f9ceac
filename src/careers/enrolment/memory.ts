import type { EnrolmentStore, PendingCode } from './port.js';

/** In-process enrolments for the embedded default and tests; bounded, oldest forgotten first. */
export class MemoryEnrolmentStore implements EnrolmentStore {
  private readonly enrolments = new Map<string, string>();
  private readonly pending = new Map<string, PendingCode>();

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
