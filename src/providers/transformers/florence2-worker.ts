/**
 * Worker-thread entry: one loaded Florence-2 per worker, for as long as the model is resident
 * (engine-worker/serve-engine-worker.ts answers the messages and ends the thread on dispose).
 * onnxruntime-node's session.run computes on the calling thread, so running it here keeps the
 * server's event loop free.
 */
import { workerData } from "node:worker_threads";
import type { Tensor } from "@huggingface/transformers";
import { createCacheReporter } from "../engine-worker/create-cache-reporter.ts";
import { serveEngineWorker } from "../engine-worker/serve-engine-worker.ts";
import { createEncodingCache, type EncodingCacheStats } from "./create-encoding-cache.ts";
import type { Florence2WorkerData, Florence2WorkerTask } from "./florence2-worker-protocol.ts";
import { type EncoderState, encoderStateBytes, type Florence2Answer, loadFlorence2 } from "./load-florence2.ts";

/**
 * Bytes for encoder states with their decoder cross-attention (Florence-2-base: ~25 MB per image
 * and prompt, of which 21 MB cross-attention): a few repeated tasks, not the whole image cache.
 */
const encoderStateBudgetBytes = 128 * 1024 * 1024;

const data = workerData as Florence2WorkerData;
const stats: EncodingCacheStats = { hits: 0, misses: 0, encoderRuns: 0, promptHits: 0, entries: 0, capacity: data.encodeCacheEntries };
const promptStats: EncodingCacheStats = { ...stats };
const cache = createEncodingCache<Tensor>(data.encodeCacheEntries, stats);
const encoderOutputs = createEncodingCache<EncoderState>(data.encodeCacheEntries, promptStats, {
  maxBytes: encoderStateBudgetBytes,
  sizeOf: encoderStateBytes,
});
const report = createCacheReporter(stats, () => cache.size, promptStats);

serveEngineWorker<Florence2WorkerTask, Florence2Answer>(async () => {
  const engine = await loadFlorence2({
    directory: data.directory,
    dtypes: data.dtypes,
    threads: data.threads,
    cache,
    encoderOutputs,
    onEncoderRun: () => {
      stats.encoderRuns++;
    },
  });
  return {
    perform: (task, signal, onText) => engine.run({ ...task, signal, ...(onText === undefined ? {} : { onText }) }),
    dispose: () => engine.dispose(),
  };
}, report);
