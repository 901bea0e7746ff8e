/** Worker-thread entry for one loaded SmolVLM (see engine-worker/serve-engine-worker.ts for the thread's life). */
import { workerData } from "node:worker_threads";
import type { Tensor } from "@huggingface/transformers";
import { serveEngineWorker } from "../engine-worker/serve-engine-worker.ts";
import { createEncodingCache, type EncodingCacheStats } from "./create-encoding-cache.ts";
import { type LoadSmolVlmOptions, loadSmolVlm, type SmolVlmAnswer, type SmolVlmTask } from "./load-smolvlm.ts";

export interface SmolVlmWorkerData extends LoadSmolVlmOptions {
  encodeCacheEntries: number;
}

const data = workerData as SmolVlmWorkerData;
const stats: EncodingCacheStats = { hits: 0, misses: 0, encoderRuns: 0, promptHits: 0, entries: 0, capacity: data.encodeCacheEntries };
const cache = createEncodingCache<Tensor>(data.encodeCacheEntries, stats);
let reported = { hits: 0, misses: 0, encoderRuns: 0 };

serveEngineWorker<SmolVlmTask, SmolVlmAnswer>(
  async () => {
    const engine = await loadSmolVlm(data, {
      cache,
      onEncoderRun: () => {
        stats.encoderRuns++;
      },
    });
    return { perform: (task, signal, onText) => engine.run(task, signal, onText), dispose: () => engine.dispose() };
  },
  () => {
    const now = { hits: stats.hits, misses: stats.misses, encoderRuns: stats.encoderRuns };
    const delta = {
      hits: now.hits - reported.hits,
      misses: now.misses - reported.misses,
      encoderRuns: now.encoderRuns - reported.encoderRuns,
    };
    reported = now;
    return { ...delta, entries: cache.size };
  },
);
