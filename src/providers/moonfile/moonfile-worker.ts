/**
 * Worker-thread entry: one loaded `.mf` per worker, for as long as the model is resident.
 * onnxruntime-node's session.run computes on the calling thread, so running it here keeps the
 * server's event loop free. Never terminated from outside (terminating a worker inside
 * session.run aborts the process): on "dispose" it releases its sessions and closes its port.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { EncodingCacheStats } from "../transformers/create-encoding-cache.ts";
import { createEncodingCache } from "../transformers/create-encoding-cache.ts";
import { loadMoonfile, type MoonfileEngine } from "./load-moonfile.ts";
import type { EncodedImage } from "./moondream-runner.ts";
import type {
  FromMoonfileWorker,
  MoonfileCacheReport,
  MoonfileWorkerData,
  MoonfileWorkerTask,
  ToMoonfileWorker,
} from "./moonfile-worker-protocol.ts";

const port = parentPort;
if (port === null) throw new Error("moonfile-worker.ts runs only as a worker thread");
const data = workerData as MoonfileWorkerData;
const send = (message: FromMoonfileWorker) => port.postMessage(message);

const stats: EncodingCacheStats = { hits: 0, misses: 0, encoderRuns: 0, promptHits: 0, entries: 0, capacity: data.encodeCacheEntries };
const cache = createEncodingCache<EncodedImage>(data.encodeCacheEntries, stats, {
  maxBytes: data.encodeCacheBytes,
  sizeOf: (image) => image.byteLength,
});
let reported = { hits: 0, misses: 0, encoderRuns: 0 };
const report = (): MoonfileCacheReport => {
  const now = { hits: stats.hits, misses: stats.misses, encoderRuns: stats.encoderRuns };
  const delta = {
    hits: now.hits - reported.hits,
    misses: now.misses - reported.misses,
    encoderRuns: now.encoderRuns - reported.encoderRuns,
  };
  reported = now;
  return { ...delta, entries: cache.size };
};

const running = new Map<number, AbortController>();

const perform = (engine: MoonfileEngine, id: number, task: MoonfileWorkerTask, signal: AbortSignal) => {
  const base = { image: task.image, contentHash: task.contentHash, signal };
  const onText = (text: string) => send({ type: "text", id, text });
  switch (task.skill) {
    case "caption":
      return engine.caption({ ...base, length: task.length, maxTokens: task.maxTokens, ...(task.stream ? { onText } : {}) });
    case "query":
      return engine.query({ ...base, question: task.question, maxTokens: task.maxTokens, ...(task.stream ? { onText } : {}) });
    case "detect":
      return engine.detect({ ...base, object: task.object });
    case "point":
      return engine.point({ ...base, object: task.object });
  }
};

const serve = (engine: MoonfileEngine) => {
  const run = async (id: number, task: MoonfileWorkerTask) => {
    const controller = new AbortController();
    running.set(id, controller);
    try {
      const result = await perform(engine, id, task, controller.signal);
      send({ type: "done", id, result, cache: report() });
    } catch (error) {
      send({ type: "failed", id, message: (error as Error).message, cache: report() });
    } finally {
      running.delete(id);
    }
  };
  port.on("message", (message: ToMoonfileWorker) => {
    if (message.type === "run") void run(message.id, message.task);
    else if (message.type === "abort") running.get(message.id)?.abort();
    else if (message.type === "dispose") {
      void engine
        .dispose()
        .catch(() => undefined)
        // Nothing else holds the worker's event loop: it ends by itself.
        .then(() => port.close());
    }
  });
  send({ type: "ready" });
};

loadMoonfile({
  path: data.path,
  index: data.index,
  threads: data.threads,
  cache,
  onEncoderRun: () => {
    stats.encoderRuns++;
  },
}).then(serve, (error: unknown) => {
  // A corrupt graph or tokenizer: reported as a message, so the caller can answer 422.
  send({ type: "load-failed", message: (error as Error).message });
  port.close();
});
