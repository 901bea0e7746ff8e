/**
 * A small LRU of prepared images keyed by content hash, bounded by entry count and bytes.
 * It stores promises so concurrent requests for the same new image decode it only once.
 */
export interface ImageCache<T extends { byteLength: number }> {
  getOrCreate(key: string, create: () => Promise<T>): Promise<T>;
  readonly hits: number;
  readonly misses: number;
  readonly size: number;
  clear(): void;
}

export function createImageCache<T extends { byteLength: number }>(options: { maxEntries: number; maxBytes: number }): ImageCache<T> {
  const entries = new Map<string, { value: Promise<T>; bytes: number }>();
  let totalBytes = 0;
  let hits = 0;
  let misses = 0;

  const evict = (): void => {
    for (const [key, entry] of entries) {
      if (entries.size <= options.maxEntries && totalBytes <= options.maxBytes) return;
      entries.delete(key);
      totalBytes -= entry.bytes;
    }
  };

  return {
    async getOrCreate(key, create) {
      const existing = entries.get(key);
      if (existing !== undefined) {
        hits++;
        entries.delete(key);
        entries.set(key, existing);
        return existing.value;
      }
      misses++;
      const entry = { value: create(), bytes: 0 };
      entries.set(key, entry);
      try {
        const value = await entry.value;
        if (entries.get(key) === entry) {
          entry.bytes = value.byteLength;
          totalBytes += entry.bytes;
          evict();
        }
        return value;
      } catch (error) {
        // Failures are not cached: the same bytes fail fast again anyway, and a transient error should not stick.
        if (entries.get(key) === entry) entries.delete(key);
        throw error;
      }
    },
    get hits() {
      return hits;
    },
    get misses() {
      return misses;
    },
    get size() {
      return entries.size;
    },
    clear() {
      entries.clear();
      totalBytes = 0;
    },
  };
}
