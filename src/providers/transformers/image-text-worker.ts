/** Worker-thread entry for one loaded SmolVLM, Qwen2-VL or moondream2 (see engine-worker/serve-engine-worker.ts for the thread's life). */
import { workerData } from "node:worker_threads";
import type { Tensor } from "@huggingface/transformers";
import { createCacheReporter } from "../engine-worker/create-cache-reporter.ts";
import { serveEngineWorker } from "../engine-worker/serve-engine-worker.ts";
import { createEncodingCache, type EncodingCacheStats } from "./create-encoding-cache.ts";
import { type ImageTextAnswer, type ImageTextTask, type LoadImageTextModelOptions, loadImageTextModel } from "./load-image-text-model.ts";

export interface ImageTextWorkerData extends LoadImageTextModelOptions {
  encodeCacheEntries: number;
}

const data = workerData as ImageTextWorkerData;
const stats: EncodingCacheStats = { hits: 0, misses: 0, encoderRuns: 0, promptHits: 0, entries: 0, capacity: data.encodeCacheEntries };
const cache = createEncodingCache<Tensor>(data.encodeCacheEntries, stats);

serveEngineWorker<ImageTextTask, ImageTextAnswer>(
  async () => {
    const engine = await loadImageTextModel(data, {
      cache,
      onEncoderRun: () => {
        stats.encoderRuns++;
      },
    });
    return { perform: (task, signal, onText) => engine.run(task, signal, onText), dispose: () => engine.dispose() };
  },
  createCacheReporter(stats, () => cache.size),
);
