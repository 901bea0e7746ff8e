import { describe, expect, it } from "vitest";
import { createEncodingCache, type EncodingCacheStats } from "./create-encoding-cache.ts";

const stats = (): EncodingCacheStats => ({ hits: 0, misses: 0, encoderRuns: 0, promptHits: 0, entries: 0, capacity: 0 });

describe("encoding cache", () => {
  it("drops the least recently used entry past its capacity and counts hits and misses", () => {
    const counters = stats();
    const cache = createEncodingCache<string>(2, counters);
    cache.set("a", "A");
    cache.set("b", "B");
    expect(cache.get("a")).toBe("A");
    cache.set("c", "C");
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBe("A");
    expect(cache.get("c")).toBe("C");
    expect(counters).toMatchObject({ hits: 3, misses: 1 });
  });

  it("keeps its entries within a byte bound, re-measuring an entry that is set again, and keeps the newest alone", () => {
    const cache = createEncodingCache<{ bytes: number }>(10, stats(), { maxBytes: 100, sizeOf: (value) => value.bytes });
    const a = { bytes: 40 };
    cache.set("a", a);
    cache.set("b", { bytes: 40 });
    expect(cache.size).toBe(2);
    a.bytes = 70; // a grew (its decoder prefix was added): 110 bytes in all
    cache.set("a", a);
    expect(cache.get("b")).toBeUndefined();
    expect(cache.get("a")).toBe(a);
    cache.set("huge", { bytes: 500 });
    expect(cache.size).toBe(1);
    expect(cache.get("huge")).toEqual({ bytes: 500 });
  });
});
