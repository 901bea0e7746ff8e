import type { EncodeCacheStats } from "../spec/provider.ts";

export type EncodingCacheStats = EncodeCacheStats;

export interface EncodingCache<Value> {
  get(contentHash: string): Value | undefined;
  set(contentHash: string, value: Value): void;
  clear(): void;
  readonly size: number;
}

export interface EncodingCacheBound<Value> {
  /** Bytes all entries may hold together; the oldest go first beyond it (the newest stays even when alone it is larger). */
  maxBytes: number;
  sizeOf(value: Value): number;
}

/**
 * Encoded images (vision-encoder output) by image content hash, least recently used dropped
 * first: "encode the image once, ask many questions". One cache per loaded model, so a key is
 * the hash alone and unloading the model frees its entries; `stats` is shared by a provider's caches.
 * Setting a key again re-measures its value (an entry that grew, e.g. a decoder prefix added).
 */
export function createEncodingCache<Value>(
  capacity: number,
  stats: EncodingCacheStats,
  bound?: EncodingCacheBound<Value>,
): EncodingCache<Value> {
  const entries = new Map<string, Value>();
  const sizes = new Map<string, number>();
  let bytes = 0;
  const remove = (key: string) => {
    entries.delete(key);
    bytes -= sizes.get(key) ?? 0;
    sizes.delete(key);
  };
  const overBound = () => entries.size > capacity || (bound !== undefined && bytes > bound.maxBytes);
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
      if (bound !== undefined) {
        const size = bound.sizeOf(value);
        sizes.set(contentHash, size);
        bytes += size;
      }
      while (overBound() && entries.size > 1) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        remove(oldest);
      }
    },
    clear() {
      entries.clear();
      sizes.clear();
      bytes = 0;
    },
    get size() {
      return entries.size;
    },
  };
}
