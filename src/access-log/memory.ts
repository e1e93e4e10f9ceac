import { chainEntry, sha256Hex, type Sha256Hex } from './chain.js';
import { ACCESS_LOG_MAX_ENTRIES, type AccessEntry, type AccessLogStore, type ChainedEntry } from './port.js';

/** In-process access log (embedded default, tests). Appends per holder are serialised on a promise chain. */
export class MemoryAccessLogStore implements AccessLogStore {
  private readonly logs = new Map<string, ChainedEntry[]>();
  private readonly tails = new Map<string, Promise<unknown>>();

  /** `sha256`: the runtime's hash when faster than WebCrypto's (same digests). */
  constructor(
    private readonly maxEntries = ACCESS_LOG_MAX_ENTRIES,
    private readonly sha256: Sha256Hex = sha256Hex,
  ) {}

  append(holderKey: string, entry: AccessEntry): Promise<ChainedEntry> {
    const run = (this.tails.get(holderKey) ?? Promise.resolve()).then(async () => {
      const log = this.logs.get(holderKey) ?? [];
      const chained = await chainEntry(log.at(-1) ?? null, entry, this.sha256);
      log.push(chained);
      if (log.length > this.maxEntries) log.splice(0, log.length - this.maxEntries);
      this.logs.set(holderKey, log);
      return chained;
    });
    this.tails.set(holderKey, run.catch(() => undefined));
    return run;
  }

  async list(holderKey: string, limit?: number): Promise<ChainedEntry[]> {
    const log = this.logs.get(holderKey) ?? [];
    return (limit === undefined ? log : log.slice(-limit)).map((e) => ({ ...e }));
  }
}
