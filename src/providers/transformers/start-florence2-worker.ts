import type { EngineWorker } from "../engine-worker/start-engine-worker.ts";
import { ownImage, type PooledResident, startPooledResident } from "../engine-worker/start-pooled-resident.ts";
import type { Florence2WorkerData, Florence2WorkerTask } from "./florence2-worker-protocol.ts";
import type { Florence2Answer, Florence2Task } from "./load-florence2.ts";
import type { LocalWorkerStart } from "./local-worker-start.ts";

/** A resident Florence-2: its ONNX sessions live in worker threads of their own (florence2-worker.ts). */
export type Florence2Resident = PooledResident<"florence2", Florence2WorkerTask, Florence2Answer>;

/** Loads the model in `workers` worker threads; a corrupt graph rejects with the loader's reason. */
export function startFlorence2Worker(options: LocalWorkerStart<Florence2WorkerData>): Promise<Florence2Resident> {
  return startPooledResident({ ...options, family: "florence2", from: import.meta.url, module: "florence2-worker" });
}

/** One task on one of the model's workers (the signal and the text stream stay on this side). */
export function runFlorence2(worker: EngineWorker<Florence2WorkerTask, Florence2Answer>, task: Florence2Task): Promise<Florence2Answer> {
  const { signal, onText, ...rest } = task;
  return worker.run({ ...rest, image: { type: "image", ...ownImage(rest.image) } }, signal, onText);
}
