/** Worker-thread entry for one loaded `.mf` (see serve-engine-worker.ts for the thread's life). */
import { workerData } from "node:worker_threads";
import { createCacheReporter } from "../engine-worker/create-cache-reporter.ts";
import { serveEngineWorker } from "../engine-worker/serve-engine-worker.ts";
import type { EncodingCacheStats } from "../transformers/create-encoding-cache.ts";
import { createEncodingCache } from "../transformers/create-encoding-cache.ts";
import { loadMoonfile } from "./load-moonfile.ts";
import type { EncodedImage } from "./moondream-runner.ts";
import type { MoonfileWorkerData, MoonfileWorkerResult, MoonfileWorkerTask } from "./moonfile-worker-protocol.ts";

const data = workerData as MoonfileWorkerData;
const stats: EncodingCacheStats = { hits: 0, misses: 0, encoderRuns: 0, promptHits: 0, entries: 0, capacity: data.encodeCacheEntries };
const cache = createEncodingCache<EncodedImage>(data.encodeCacheEntries, stats, {
  maxBytes: data.encodeCacheBytes,
  sizeOf: (image) => image.byteLength,
});

serveEngineWorker<MoonfileWorkerTask, MoonfileWorkerResult>(
  async () => {
    const engine = await loadMoonfile({
      path: data.path,
      index: data.index,
      threads: data.threads,
      cache,
      onEncoderRun: () => {
        stats.encoderRuns++;
      },
    });
    return {
      perform(task, signal, onText) {
        const base = { image: task.image, contentHash: task.contentHash, signal };
        const text = onText === undefined ? {} : { onText };
        switch (task.skill) {
          case "caption":
            return engine.caption({ ...base, length: task.length, maxTokens: task.maxTokens, ...text });
          case "query":
            return engine.query({ ...base, question: task.question, maxTokens: task.maxTokens, ...text });
          case "detect":
            return engine.detect({ ...base, object: task.object });
          case "point":
            return engine.point({ ...base, object: task.object });
        }
      },
      dispose: () => engine.dispose(),
    };
  },
  createCacheReporter(stats, () => cache.size),
);
