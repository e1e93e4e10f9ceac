import type { DurableListOptions, DurableNamespace, DurableState, DurableStorage } from '../src/lib/durable-objects.js';

/** What a Durable Object class offers the platform: requests, and the alarm it may set. */
export interface DurableObjectLike {
  fetch(request: Request): Promise<Response>;
  alarm?(): Promise<void>;
}

export interface FakeDurableNamespace extends DurableNamespace {
  /** Names of the objects made so far (one per name, as on the platform). */
  names(): string[];
  /** A copy of one object's storage, for assertions; empty when it was never made. */
  storageOf(name: string): Map<string, unknown>;
  /** When each object's alarm is set for (ms), if set. */
  alarmOf(name: string): number | undefined;
  /** Runs the alarm of every object whose alarm is due at `nowMs`, one at a time per object. */
  runDueAlarms(nowMs: number): Promise<void>;
  /**
   * Called before each request reaches its object (in the object's turn); throwing stands for the
   * request being lost on the way (a crash of the caller, a network error), the object untouched.
   */
  beforeRequest?: (name: string, command: unknown) => void;
}

/**
 * Runs real Durable Object classes the way the Workers runtime does, in Node: one instance per
 * name, created on first use; one request (or alarm) at a time per instance, in arrival order (a
 * promise chain per object: the input gate); storage that survives between requests and hands out
 * copies (structuredClone), as the platform serialises values. Only the platform is stood in for;
 * the objects' own logic is what the suites exercise.
 */
export function fakeDurableNamespace(make: (state: DurableState) => DurableObjectLike): FakeDurableNamespace {
  const objects = new Map<string, { object: DurableObjectLike; data: Map<string, unknown>; alarm: { at?: number }; turn: Promise<unknown> }>();

  function entryFor(name: string) {
    let entry = objects.get(name);
    if (!entry) {
      const data = new Map<string, unknown>();
      const alarm: { at?: number } = {};
      entry = { object: make({ storage: fakeStorage(data, alarm) }), data, alarm, turn: Promise.resolve() };
      objects.set(name, entry);
    }
    return entry;
  }

  /** Queues `work` behind everything the object is already doing. */
  function inTurn<T>(name: string, work: (object: DurableObjectLike) => Promise<T>): Promise<T> {
    const entry = entryFor(name);
    const run = entry.turn.then(() => work(entry.object));
    entry.turn = run.catch(() => undefined);
    return run;
  }

  const namespace: FakeDurableNamespace = {
    idFromName: (name) => name,
    get: (id) => ({
      fetch(request) {
        const name = String(id);
        return inTurn(name, async (object) => {
          if (namespace.beforeRequest) namespace.beforeRequest(name, await request.clone().json());
          return object.fetch(request);
        });
      },
    }),
    names: () => [...objects.keys()],
    storageOf: (name) => new Map(structuredClone([...(objects.get(name)?.data ?? new Map<string, unknown>())])),
    alarmOf: (name) => objects.get(name)?.alarm.at,
    async runDueAlarms(nowMs) {
      const due = [...objects.entries()].filter(([, entry]) => entry.alarm.at !== undefined && entry.alarm.at <= nowMs);
      await Promise.all(
        due.map(([name, entry]) =>
          inTurn(name, async (object) => {
            // The platform clears an alarm as it fires it; the handler may set a new one.
            delete entry.alarm.at;
            await object.alarm?.();
          }),
        ),
      );
    },
  };
  return namespace;
}

function fakeStorage(data: Map<string, unknown>, alarm: { at?: number }): DurableStorage {
  return {
    get: async <T,>(key: string) => structuredClone(data.get(key)) as T | undefined,
    put: async <T,>(key: string, value: T) => void data.set(key, structuredClone(value)),
    delete: async (key: string) => data.delete(key),
    async list<T>(options: DurableListOptions = {}) {
      const keys = [...data.keys()].sort().filter(
        (key) =>
          (options.prefix === undefined || key.startsWith(options.prefix)) &&
          (options.start === undefined || key >= options.start) &&
          (options.end === undefined || key < options.end),
      );
      const limited = options.limit === undefined ? keys : keys.slice(0, options.limit);
      return new Map(limited.map((key) => [key, structuredClone(data.get(key)) as T]));
    },
    deleteAll: async () => data.clear(),
    setAlarm: async (at: number) => {
      alarm.at = at;
    },
  };
}
