import type { EngineCacheReport } from "../engine-worker/engine-worker-protocol.ts";
import { startEngineWorker } from "../engine-worker/start-engine-worker.ts";
import type { Resident } from "../residency/model-residency.ts";
import { createSequencePool, type SequencePool } from "../residency/sequence-pool.ts";
import type { BoundingBox, Point } from "../spec/vision-model.ts";
import type { MoonfileAnswer, MoonfileTask } from "./load-moonfile.ts";
import type { MoonfileWorkerData, MoonfileWorkerResult, MoonfileWorkerTask } from "./moonfile-worker-protocol.ts";

type WithText = { onText?: (text: string) => void };

/** A resident `.mf`: its ONNX sessions and encoded images live in a worker thread of their own. */
export interface MoonfileResident extends Resident {
  readonly family: "moondream-mf";
  readonly threads: number;
  /** Bounds requests running on this model (503 past the queue). */
  readonly slots: SequencePool<number>;
  caption(task: MoonfileTask & WithText & { length: string; maxTokens: number }): Promise<MoonfileAnswer>;
  query(task: MoonfileTask & WithText & { question: string; maxTokens: number }): Promise<MoonfileAnswer>;
  detect(task: MoonfileTask & { object: string }): Promise<BoundingBox[]>;
  point(task: MoonfileTask & { object: string }): Promise<Point[]>;
}

export interface StartMoonfileWorkerOptions {
  modelId: string;
  worker: MoonfileWorkerData;
  parallelRequests: number;
  maxQueue: number;
  onCacheReport(report: EngineCacheReport): void;
  onCrash?(error: Error): void;
}

/** Loads the `.mf` in a worker thread (moonfile-worker.ts); a corrupt graph rejects with the loader's reason. */
export async function startMoonfileWorker(options: StartMoonfileWorkerOptions): Promise<MoonfileResident> {
  const worker = await startEngineWorker<MoonfileWorkerTask, MoonfileWorkerResult>({
    from: import.meta.url,
    module: "moonfile-worker",
    workerData: options.worker,
    onCacheReport: options.onCacheReport,
    ...(options.onCrash === undefined ? {} : { onCrash: options.onCrash }),
  });
  // A view into a larger buffer (a multipart body) would be copied whole: send only the image.
  const image = (task: MoonfileTask) => {
    const data = task.image.data.byteLength === task.image.data.buffer.byteLength ? task.image.data : task.image.data.slice();
    return { image: { data, mediaType: task.image.mediaType }, contentHash: task.contentHash };
  };
  return {
    family: "moondream-mf",
    sizeBytes: options.worker.index.sizeBytes,
    threads: options.worker.threads,
    slots: createSequencePool({ size: options.parallelRequests, maxQueue: options.maxQueue, modelId: options.modelId, create: () => 0 }),
    caption: async (task) =>
      (await worker.run(
        { skill: "caption", ...image(task), length: task.length, maxTokens: task.maxTokens },
        task.signal,
        task.onText,
      )) as MoonfileAnswer,
    query: async (task) =>
      (await worker.run(
        { skill: "query", ...image(task), question: task.question, maxTokens: task.maxTokens },
        task.signal,
        task.onText,
      )) as MoonfileAnswer,
    detect: async (task) => (await worker.run({ skill: "detect", ...image(task), object: task.object }, task.signal)) as BoundingBox[],
    point: async (task) => (await worker.run({ skill: "point", ...image(task), object: task.object }, task.signal)) as Point[],
    dispose: () => worker.dispose(),
  };
}
