import { LANGUAGE_TTL_SECONDS, type PreferenceStore, type RecipientPreferences, type SessionStore, type VersionedRecord } from './port.js';

/**
 * Sessions on Cloudflare Workers: one Durable Object per USSD session (and per phone number for
 * its language). A Durable Object runs one request at a time with strongly consistent storage, so
 * compare-and-set is a plain read and write inside it; an alarm deletes it when its time is up.
 * KV would not do: it is eventually consistent, and two hops could fork a session.
 *
 * Only the few platform types used are declared here, so the Node build needs no Workers typings.
 */

interface DurableStorage {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
  deleteAll(): Promise<void>;
  setAlarm(scheduledTime: number): Promise<void>;
}
export interface DurableState {
  storage: DurableStorage;
}
interface DurableStub {
  fetch(request: Request): Promise<Response>;
}
export interface DurableNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): DurableStub;
}

type Command =
  | { op: 'load' }
  | { op: 'save'; data: string; expectedVersion: number | null; ttlSeconds: number }
  /** Write whatever was there and answer what it replaced: one request, so one object turn. */
  | { op: 'exchange'; data: string; ttlSeconds: number };

interface Stored extends VersionedRecord {
  expiresAt: number;
}

/** The Durable Object class (bound as `SESSIONS` in wrangler.toml). */
export class SessionObject {
  constructor(private readonly state: DurableState) {}

  async fetch(request: Request): Promise<Response> {
    const command = (await request.json()) as Command;
    const stored = await this.live();
    if (command.op === 'load') return Response.json(stored ? { data: stored.data, version: stored.version } : null);
    if (command.op === 'exchange') {
      const expiresAt = Date.now() + command.ttlSeconds * 1000;
      await this.state.storage.put<Stored>('record', { data: command.data, version: (stored?.version ?? 0) + 1, expiresAt });
      await this.state.storage.setAlarm(expiresAt);
      return Response.json({ previous: stored?.data ?? null });
    }
    if ((stored?.version ?? null) !== command.expectedVersion) return Response.json({ saved: false });
    const expiresAt = Date.now() + command.ttlSeconds * 1000;
    await this.state.storage.put<Stored>('record', { data: command.data, version: (stored?.version ?? 0) + 1, expiresAt });
    await this.state.storage.setAlarm(expiresAt);
    return Response.json({ saved: true });
  }

  async alarm(): Promise<void> {
    if (!(await this.live())) await this.state.storage.deleteAll();
  }

  private async live(): Promise<Stored | undefined> {
    const stored = await this.state.storage.get<Stored>('record');
    return stored && stored.expiresAt > Date.now() ? stored : undefined;
  }
}

/** `SessionStore` and `PreferenceStore` over the `SessionObject` namespace. */
export class DurableObjectSessionStore implements SessionStore, PreferenceStore {
  constructor(private readonly namespace: DurableNamespace) {}

  async load(key: string): Promise<VersionedRecord | null> {
    return (await this.call(`ussd:${key}`, { op: 'load' })) as VersionedRecord | null;
  }

  async save(key: string, data: string, expectedVersion: number | null, ttlSeconds: number): Promise<boolean> {
    const result = (await this.call(`ussd:${key}`, { op: 'save', data, expectedVersion, ttlSeconds })) as { saved: boolean };
    return result.saved;
  }

  async exchange(key: string, value: string, ttlSeconds: number): Promise<string | null> {
    const result = (await this.call(`ptr:${key}`, { op: 'exchange', data: value, ttlSeconds })) as { previous: string | null };
    return result.previous;
  }

  async getLanguage(msisdn: string): Promise<string | null> {
    const record = (await this.call(`lang:${msisdn}`, { op: 'load' })) as VersionedRecord | null;
    return record?.data ?? null;
  }

  async setLanguage(msisdn: string, language: string): Promise<void> {
    // Last writer wins for a preference: read the version, then write over it.
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = (await this.call(`lang:${msisdn}`, { op: 'load' })) as VersionedRecord | null;
      const saved = (await this.call(`lang:${msisdn}`, {
        op: 'save',
        data: language,
        expectedVersion: current?.version ?? null,
        ttlSeconds: LANGUAGE_TTL_SECONDS,
      })) as { saved: boolean };
      if (saved.saved) return;
    }
  }

  async isOptedOut(msisdn: string): Promise<boolean> {
    const record = (await this.call(`optout:${msisdn}`, { op: 'load' })) as VersionedRecord | null;
    return record?.data === 'yes';
  }

  async setOptedOut(msisdn: string, optedOut: boolean): Promise<void> {
    const current = (await this.call(`optout:${msisdn}`, { op: 'load' })) as VersionedRecord | null;
    await this.call(`optout:${msisdn}`, { op: 'save', data: optedOut ? 'yes' : 'no', expectedVersion: current?.version ?? null, ttlSeconds: 100 * 365 * 24 * 3600 });
  }

  /** Two objects (one per key), asked at once: a Durable Object holds one name's state only. */
  async languageAndOptOut(msisdn: string): Promise<RecipientPreferences> {
    const [language, optedOut] = await Promise.all([this.getLanguage(msisdn), this.isOptedOut(msisdn)]);
    return { language, optedOut };
  }

  private async call(name: string, command: Command): Promise<unknown> {
    const stub = this.namespace.get(this.namespace.idFromName(name));
    const response = await stub.fetch(new Request('https://session.internal/', { method: 'POST', body: JSON.stringify(command) }));
    if (!response.ok) throw new Error(`session object answered ${response.status}`);
    return response.json();
  }
}
