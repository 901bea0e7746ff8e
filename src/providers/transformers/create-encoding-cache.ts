import type { EncodeCacheStats } from "../spec/provider.ts";

export type EncodingCacheStats = EncodeCacheStats;

export interface EncodingCache<Value> {
  get(contentHash: string): Value | undefined;
  set(contentHash: string, value: Value): void;
  clear(): void;
  readonly size: number;
}

/**
 * Encoded images (vision-encoder output) by image content hash, least recently used dropped
 * first: "encode the image once, ask many questions". One cache per loaded model, so a key is
 * the hash alone and unloading the model frees its entries; `stats` is shared by a provider's caches.
 */
export function createEncodingCache<Value>(capacity: number, stats: EncodingCacheStats): EncodingCache<Value> {
  const entries = new Map<string, Value>();
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
      entries.delete(contentHash);
      entries.set(contentHash, value);
      while (entries.size > capacity) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        entries.delete(oldest);
      }
    },
    clear() {
      entries.clear();
    },
    get size() {
      return entries.size;
    },
  };
}
