import type { EncodingCacheStats } from "../transformers/create-encoding-cache.ts";
import type { EngineCacheReport } from "./engine-worker-protocol.ts";

/**
 * A model worker's encode-cache counters as the deltas since its previous report (the server
 * adds them to the provider's totals), with the entries its caches hold now. `promptStats`: the
 * cache of encoder outputs per image and prompt, for engines that keep one.
 */
export function createCacheReporter(
  stats: EncodingCacheStats,
  entries: () => number,
  promptStats?: EncodingCacheStats,
): () => EngineCacheReport {
  let reported = { hits: 0, misses: 0, encoderRuns: 0, promptHits: 0 };
  return () => {
    const now = { hits: stats.hits, misses: stats.misses, encoderRuns: stats.encoderRuns, promptHits: promptStats?.hits ?? 0 };
    const delta = {
      hits: now.hits - reported.hits,
      misses: now.misses - reported.misses,
      encoderRuns: now.encoderRuns - reported.encoderRuns,
      ...(promptStats === undefined ? {} : { promptHits: now.promptHits - reported.promptHits }),
    };
    reported = now;
    return { ...delta, entries: entries() };
  };
}
