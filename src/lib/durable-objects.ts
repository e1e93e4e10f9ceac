/**
 * The few Cloudflare Durable Object types the Worker adapters use (payments, SMS messages, job
 * de-duplication), declared here so the Node build needs no Workers typings package. They are the
 * subset of `DurableObjectState`, `DurableObjectStorage`, `DurableObjectStub` and
 * `DurableObjectNamespace` that the adapters call, with the platform's own signatures
 * (https://developers.cloudflare.com/durable-objects/api/).
 *
 * What the adapters rely on: an object runs one request at a time, and while a request awaits
 * only its own storage no other request is let in (the input gate), so a read, a decision and a
 * write inside one `fetch` is atomic. An object never calls another object from inside a request
 * (that would open the gate and let others interleave); every step that spans two objects is
 * driven by the caller, one request per object, in an order that keeps a crash between the steps
 * safe (each adapter says how).
 */

export interface DurableListOptions {
  prefix?: string;
  /** Inclusive. */
  start?: string;
  /** Exclusive. */
  end?: string;
  limit?: number;
}

export interface DurableStorage {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
  delete(key: string): Promise<boolean>;
  /** Keys in ascending UTF-8 order. */
  list<T>(options?: DurableListOptions): Promise<Map<string, T>>;
  deleteAll(): Promise<void>;
  setAlarm(scheduledTime: number): Promise<void>;
}

export interface DurableState {
  storage: DurableStorage;
}

export interface DurableStub {
  fetch(request: Request): Promise<Response>;
}

export interface DurableNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): DurableStub;
}

/** Sends one command (JSON) to the object named `name` and answers its JSON reply. */
export async function callDurableObject<Reply>(namespace: DurableNamespace, name: string, command: unknown): Promise<Reply> {
  const stub = namespace.get(namespace.idFromName(name));
  const response = await stub.fetch(new Request('https://object.internal/', { method: 'POST', body: JSON.stringify(command) }));
  if (!response.ok) throw new Error(`durable object answered ${response.status}`);
  return (await response.json()) as Reply;
}

/** Zero-padded so that keys sort as the numbers do (`list` orders keys as strings). */
export function sortableMs(ms: number): string {
  return String(Math.max(0, Math.trunc(ms))).padStart(15, '0');
}

/** The commands of `DurableIndexObject`. */
export type IndexCommand =
  | { op: 'put'; key: string; value: string; keepUntil?: number }
  /** First writer wins: answers the value kept and whether this call wrote it. */
  | { op: 'putIfAbsent'; key: string; value: string; keepUntil?: number }
  | { op: 'get'; key: string }
  | { op: 'delete'; keys: string[] }
  | { op: 'list'; start?: string; end?: string; limit?: number }
  /** Adds a value after every other (arrival order), the whole index kept until `keepUntil`. */
  | { op: 'append'; value: string; keepUntil: number }
  /** Answers every entry and removes them, in one step: two takers never get the same entry. */
  | { op: 'take' }
  /** True when `key` is free or its lease ran out; then holds it until `untilMs`. */
  | { op: 'lease'; key: string; untilMs: number };

export interface IndexEntry {
  key: string;
  value: string;
}

/**
 * A small sorted key-value map in one Durable Object: what the Worker adapters use for the
 * indexes beside their records (a payment id to its request, a day's payments, the open payments
 * by expiry, a provider's message id to ours). Each command is atomic in the object; an index and
 * the record it points at are two objects, so every adapter treats an index as a hint that its
 * record confirms (see each adapter for the order of writes). An entry written with `keepUntil`
 * makes the whole object go at the latest such time (an alarm), as Redis's key expiry would.
 */
export class DurableIndexObject {
  constructor(private readonly state: DurableState) {}

  async fetch(request: Request): Promise<Response> {
    const command = (await request.json()) as IndexCommand;
    const storage = this.state.storage;
    switch (command.op) {
      case 'put':
        await storage.put(`e:${command.key}`, command.value);
        await this.keepUntil(command.keepUntil);
        return Response.json({ ok: true });
      case 'putIfAbsent': {
        const held = await storage.get<string>(`e:${command.key}`);
        if (held !== undefined) return Response.json({ value: held, written: false });
        await storage.put(`e:${command.key}`, command.value);
        await this.keepUntil(command.keepUntil);
        return Response.json({ value: command.value, written: true });
      }
      case 'get':
        return Response.json({ value: (await storage.get<string>(`e:${command.key}`)) ?? null });
      case 'delete':
        for (const key of command.keys) await storage.delete(`e:${key}`);
        return Response.json({ ok: true });
      case 'list': {
        const entries = await storage.list<string>({
          prefix: 'e:',
          ...(command.start !== undefined ? { start: `e:${command.start}` } : {}),
          ...(command.end !== undefined ? { end: `e:${command.end}` } : {}),
          ...(command.limit !== undefined ? { limit: command.limit } : {}),
        });
        return Response.json([...entries].map(([key, value]): IndexEntry => ({ key: key.slice(2), value })));
      }
      case 'append': {
        const sequence = ((await storage.get<number>('sequence')) ?? 0) + 1;
        await storage.put('sequence', sequence);
        await storage.put(`e:${sortableMs(sequence)}`, command.value);
        await this.keepUntil(command.keepUntil);
        return Response.json({ ok: true });
      }
      case 'take': {
        const until = await storage.get<number>('keepUntil');
        const entries = await storage.list<string>({ prefix: 'e:' });
        for (const key of entries.keys()) await storage.delete(key);
        // Past its time the index is gone, whether or not its alarm has run yet.
        const live = until === undefined || until > Date.now();
        return Response.json(live ? [...entries].map(([key, value]): IndexEntry => ({ key: key.slice(2), value })) : []);
      }
      case 'lease': {
        const heldUntil = await storage.get<number>(`e:${command.key}`);
        if (heldUntil !== undefined && heldUntil > Date.now()) return Response.json({ leased: false });
        await storage.put(`e:${command.key}`, command.untilMs);
        await this.keepUntil(command.untilMs);
        return Response.json({ leased: true });
      }
    }
  }

  async alarm(): Promise<void> {
    const until = await this.state.storage.get<number>('keepUntil');
    if (until !== undefined && until <= Date.now()) await this.state.storage.deleteAll();
  }

  private async keepUntil(until: number | undefined): Promise<void> {
    if (until === undefined) return;
    const current = await this.state.storage.get<number>('keepUntil');
    if (current !== undefined && current >= until) return;
    await this.state.storage.put('keepUntil', until);
    await this.state.storage.setAlarm(until);
  }
}

/** Typed calls to a `DurableIndexObject` namespace, one object per index name. */
export class DurableIndex {
  constructor(private readonly namespace: DurableNamespace) {}

  put(index: string, key: string, value: string, keepUntil?: number): Promise<unknown> {
    return callDurableObject(this.namespace, index, { op: 'put', key, value, keepUntil } satisfies IndexCommand);
  }
  putIfAbsent(index: string, key: string, value: string, keepUntil?: number): Promise<{ value: string; written: boolean }> {
    return callDurableObject(this.namespace, index, { op: 'putIfAbsent', key, value, keepUntil } satisfies IndexCommand);
  }
  async get(index: string, key: string): Promise<string | null> {
    return (await callDurableObject<{ value: string | null }>(this.namespace, index, { op: 'get', key } satisfies IndexCommand)).value;
  }
  delete(index: string, keys: string[]): Promise<unknown> {
    return callDurableObject(this.namespace, index, { op: 'delete', keys } satisfies IndexCommand);
  }
  list(index: string, range: { start?: string; end?: string; limit?: number } = {}): Promise<IndexEntry[]> {
    return callDurableObject(this.namespace, index, { op: 'list', ...range } satisfies IndexCommand);
  }
  append(index: string, value: string, keepUntil: number): Promise<unknown> {
    return callDurableObject(this.namespace, index, { op: 'append', value, keepUntil } satisfies IndexCommand);
  }
  async take(index: string): Promise<string[]> {
    return (await callDurableObject<IndexEntry[]>(this.namespace, index, { op: 'take' } satisfies IndexCommand)).map((entry) => entry.value);
  }
  async lease(index: string, key: string, untilMs: number): Promise<boolean> {
    return (await callDurableObject<{ leased: boolean }>(this.namespace, index, { op: 'lease', key, untilMs } satisfies IndexCommand)).leased;
  }
}
