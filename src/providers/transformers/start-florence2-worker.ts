import type { EngineCacheReport } from "../engine-worker/engine-worker-protocol.ts";
import { startEngineWorker } from "../engine-worker/start-engine-worker.ts";
import type { Resident } from "../residency/model-residency.ts";
import { createSequencePool, type SequencePool } from "../residency/sequence-pool.ts";
import type { Florence2WorkerData, Florence2WorkerTask } from "./florence2-worker-protocol.ts";
import type { Florence2Answer, Florence2Task } from "./load-florence2.ts";

/** A resident Florence-2: its ONNX sessions live in a worker thread of their own. */
export interface Florence2Resident extends Resident {
  readonly threads: number;
  /** Bounds requests running on this model (503 past the queue). */
  readonly slots: SequencePool<number>;
  run(task: Florence2Task): Promise<Florence2Answer>;
}

export interface StartFlorence2WorkerOptions {
  modelId: string;
  worker: Florence2WorkerData;
  sizeBytes: number;
  parallelRequests: number;
  maxQueue: number;
  /** Encoding-cache counters after every task (metrics). */
  onCacheReport(report: EngineCacheReport): void;
  /** The worker ended without being disposed (an error inside it): this resident answers no more. */
  onCrash?(error: Error): void;
}

/**
 * Starts the worker thread (florence2-worker.ts) that loads the model, and resolves once it is
 * ready (or rejects with the loader's own reason: a corrupt graph is an error message, never a
 * crash). The worker is never terminated: dispose interrupts running tasks, waits for them, then
 * asks the worker to release its sessions and end (engine-worker/start-engine-worker.ts;
 * terminating a worker inside session.run aborts the process).
 */
export async function startFlorence2Worker(options: StartFlorence2WorkerOptions): Promise<Florence2Resident> {
  const worker = await startEngineWorker<Florence2WorkerTask, Florence2Answer>({
    from: import.meta.url,
    module: "florence2-worker",
    workerData: options.worker,
    onCacheReport: options.onCacheReport,
    ...(options.onCrash === undefined ? {} : { onCrash: options.onCrash }),
  });
  return {
    sizeBytes: options.sizeBytes,
    threads: options.worker.threads,
    slots: createSequencePool({ size: options.parallelRequests, maxQueue: options.maxQueue, modelId: options.modelId, create: () => 0 }),
    run(task) {
      const { signal, onText, ...rest } = task;
      // A view into a larger buffer (a multipart body) would be copied whole: send only the image.
      const { data } = rest.image;
      const image = {
        type: "image" as const,
        mediaType: rest.image.mediaType,
        data: data.byteLength === data.buffer.byteLength ? data : data.slice(),
      };
      return worker.run({ ...rest, image }, signal, onText);
    },
    dispose: () => worker.dispose(),
  };
}
