import type { EncodeCacheStats } from "../spec/provider.ts";

export type EncodingCacheStats = EncodeCacheStats;

export interface EncodingCache<Value> {
  get(contentHash: string): Value | undefined;
  set(contentHash: string, value: Value): void;
  clear(): void;
  readonly size: number;
}

export interface EncodingCacheBound<Value> {
  /** Bytes all entries may hold together; the oldest go first beyond it. */
  maxBytes: number;
  sizeOf(value: Value): number;
}

/**
 * Encoded images (vision-encoder output) by image content hash, least recently used dropped
 * first: "encode the image once, ask many questions". One cache per loaded model, so a key is
 * the hash alone and unloading the model frees its entries; `stats` is shared by a provider's caches.
 */
export function createEncodingCache<Value>(
  capacity: number,
  stats: EncodingCacheStats,
  bound?: EncodingCacheBound<Value>,
): EncodingCache<Value> {
  const entries = new Map<string, Value>();
  let bytes = 0;
  const remove = (key: string) => {
    const value = entries.get(key);
    if (value === undefined) return;
    entries.delete(key);
    if (bound !== undefined) bytes -= bound.sizeOf(value);
  };
  return {
    get(contentHash) {
      const value = entries.get(contentHash);
      if (value === undefined) {
        stats.misses++;
        return undefined;
      }
      stats.hits++;
      // Map keeps insertion order: re-inserting marks it most recently used.
      entries.delete(contentHash);
      entries.set(contentHash, value);
      return value;
    },
    set(contentHash, value) {
      if (capacity <= 0) return;
      remove(contentHash);
      entries.set(contentHash, value);
      if (bound !== undefined) bytes += bound.sizeOf(value);
      while (entries.size > capacity || (bound !== undefined && bytes > bound.maxBytes && entries.size > 1)) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        remove(oldest);
      }
    },
    clear() {
      entries.clear();
      bytes = 0;
    },
    get size() {
      return entries.size;
    },
  };
}
