import { LANGUAGE_TTL_SECONDS, type PreferenceStore, type RecipientPreferences, type SessionStore, type VersionedRecord } from './port.js';

interface Entry extends VersionedRecord {
  expiresAt: number;
}

/**
 * In-process sessions for the embedded default and tests. JavaScript runs one hop's
 * compare-and-set without interleaving, so it is atomic by construction. Lost on restart.
 */
export class MemorySessionStore implements SessionStore, PreferenceStore {
  private readonly sessions = new Map<string, Entry>();
  private readonly pointers = new Map<string, { value: string; expiresAt: number }>();
  private readonly languages = new Map<string, { language: string; expiresAt: number }>();
  private savesSinceSweep = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async load(key: string): Promise<VersionedRecord | null> {
    const entry = this.live(key);
    return entry ? { data: entry.data, version: entry.version } : null;
  }

  async save(key: string, data: string, expectedVersion: number | null, ttlSeconds: number): Promise<boolean> {
    const current = this.live(key);
    if ((current?.version ?? null) !== expectedVersion) return false;
    this.sessions.set(key, { data, version: (current?.version ?? 0) + 1, expiresAt: this.now() + ttlSeconds * 1000 });
    if (++this.savesSinceSweep >= 1000) this.sweep();
    return true;
  }

  async exchange(key: string, value: string, ttlSeconds: number): Promise<string | null> {
    const current = this.pointers.get(key);
    this.pointers.set(key, { value, expiresAt: this.now() + ttlSeconds * 1000 });
    return current && current.expiresAt > this.now() ? current.value : null;
  }

  async getLanguage(msisdn: string): Promise<string | null> {
    const entry = this.languages.get(msisdn);
    return entry && entry.expiresAt > this.now() ? entry.language : null;
  }

  async setLanguage(msisdn: string, language: string): Promise<void> {
    this.languages.set(msisdn, { language, expiresAt: this.now() + LANGUAGE_TTL_SECONDS * 1000 });
  }

  private readonly optedOut = new Set<string>();

  async isOptedOut(msisdn: string): Promise<boolean> {
    return this.optedOut.has(msisdn);
  }

  async setOptedOut(msisdn: string, optedOut: boolean): Promise<void> {
    if (optedOut) this.optedOut.add(msisdn);
    else this.optedOut.delete(msisdn);
  }

  async languageAndOptOut(msisdn: string): Promise<RecipientPreferences> {
    return { language: await this.getLanguage(msisdn), optedOut: this.optedOut.has(msisdn) };
  }

  /** Live sessions held, for tests and metrics. */
  get size(): number {
    this.sweep();
    return this.sessions.size;
  }

  private live(key: string): Entry | undefined {
    const entry = this.sessions.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.sessions.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Abandoned sessions never get read again, so expiry also runs now and then on writes. */
  private sweep(): void {
    this.savesSinceSweep = 0;
    const now = this.now();
    for (const [key, entry] of this.sessions) if (entry.expiresAt <= now) this.sessions.delete(key);
    for (const [key, pointer] of this.pointers) if (pointer.expiresAt <= now) this.pointers.delete(key);
  }
}
