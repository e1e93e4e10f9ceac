/**
 * The cache port for slow-changing upstream answers (service catalogue, fee schedules). Redis on
 * Node (shared by every instance, `redis.ts`), memory for the embedded default and tests
 * (`memory.ts`); both run one conformance suite (`conformance.ts`).
 */
export interface Cache {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlSeconds: number): Promise<void>;
}

/** Answers `load` from the cache, or loads, stores and returns it. */
export async function cached<T>(cache: Cache, key: string, ttlSeconds: number, load: () => Promise<T>): Promise<T> {
  const hit = await cache.get(key);
  if (hit !== null) return JSON.parse(hit) as T;
  const value = await load();
  await cache.set(key, JSON.stringify(value), ttlSeconds);
  return value;
}
