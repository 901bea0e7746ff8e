/**
 * Worker-thread entry: one loaded Florence-2 per worker, for as long as the model is resident.
 * onnxruntime-node's session.run computes on the calling thread, so running it here keeps the
 * server's event loop free. The worker is never terminated from outside: terminating it while a
 * session.run is in native code aborts the whole process (Napi::Error thrown during teardown),
 * so on "dispose" it releases its ONNX sessions itself and ends by closing its port.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { Tensor } from "@huggingface/transformers";
import { createEncodingCache, type EncodingCacheStats } from "./create-encoding-cache.ts";
import type { EncodingCacheReport, Florence2WorkerData, FromFlorence2Worker, ToFlorence2Worker } from "./florence2-worker-protocol.ts";
import { type EncoderState, encoderStateBytes, type Florence2Engine, loadFlorence2 } from "./load-florence2.ts";

/**
 * Bytes for encoder states with their decoder cross-attention (Florence-2-base: ~25 MB per image
 * and prompt, of which 21 MB cross-attention): a few repeated tasks, not the whole image cache.
 */
const encoderStateBudgetBytes = 128 * 1024 * 1024;

const port = parentPort;
if (port === null) throw new Error("florence2-worker.ts runs only as a worker thread");
const data = workerData as Florence2WorkerData;
const send = (message: FromFlorence2Worker) => port.postMessage(message);

const stats: EncodingCacheStats = { hits: 0, misses: 0, encoderRuns: 0, promptHits: 0, entries: 0, capacity: data.encodeCacheEntries };
const promptStats: EncodingCacheStats = { ...stats };
const cache = createEncodingCache<Tensor>(data.encodeCacheEntries, stats);
const encoderOutputs = createEncodingCache<EncoderState>(data.encodeCacheEntries, promptStats, {
  maxBytes: encoderStateBudgetBytes,
  sizeOf: encoderStateBytes,
});
let reported = { hits: 0, misses: 0, encoderRuns: 0, promptHits: 0 };
const report = (): EncodingCacheReport => {
  const now = { hits: stats.hits, misses: stats.misses, encoderRuns: stats.encoderRuns, promptHits: promptStats.hits };
  const delta = {
    hits: now.hits - reported.hits,
    misses: now.misses - reported.misses,
    encoderRuns: now.encoderRuns - reported.encoderRuns,
    promptHits: now.promptHits - reported.promptHits,
  };
  reported = now;
  return { ...delta, entries: cache.size };
};

const running = new Map<number, AbortController>();

const serve = (engine: Florence2Engine) => {
  const run = async (id: number, task: Extract<ToFlorence2Worker, { type: "run" }>["task"]) => {
    const controller = new AbortController();
    running.set(id, controller);
    try {
      const { stream, ...rest } = task;
      const answer = await engine.run({
        ...rest,
        signal: controller.signal,
        ...(stream ? { onText: (text: string) => send({ type: "text", id, text }) } : {}),
      });
      send({ type: "done", id, answer, cache: report() });
    } catch (error) {
      send({ type: "failed", id, message: (error as Error).message, cache: report() });
    } finally {
      running.delete(id);
    }
  };

  port.on("message", (message: ToFlorence2Worker) => {
    if (message.type === "run") void run(message.id, message.task);
    else if (message.type === "abort") running.get(message.id)?.abort();
    else if (message.type === "dispose") {
      void engine
        .dispose()
        .catch(() => undefined)
        .then(() => {
          send({ type: "disposed" });
          // Nothing else holds the worker's event loop: it ends by itself.
          port.close();
        });
    }
  });
  send({ type: "ready" });
};

loadFlorence2({
  directory: data.directory,
  dtypes: data.dtypes,
  threads: data.threads,
  cache,
  encoderOutputs,
  onEncoderRun: () => {
    stats.encoderRuns++;
  },
}).then(serve, (error: unknown) => {
  // A corrupt graph or processor file: reported as a message, so the caller can answer 422.
  send({ type: "load-failed", message: (error as Error).message });
  port.close();
});
