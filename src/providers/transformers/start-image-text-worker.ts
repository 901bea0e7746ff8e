import type { EngineWorker } from "../engine-worker/start-engine-worker.ts";
import { ownImage, type PooledResident, startPooledResident } from "../engine-worker/start-pooled-resident.ts";
import type { ImageTextWorkerData } from "./image-text-worker.ts";
import type { ImageTextAnswer, ImageTextTask } from "./load-image-text-model.ts";
import type { LocalWorkerStart } from "./local-worker-start.ts";

/** A resident SmolVLM, Qwen2-VL or moondream2: its ONNX sessions live in worker threads of their own (image-text-worker.ts). */
export type ImageTextResident = PooledResident<"image-text", ImageTextTask, ImageTextAnswer>;

/** Loads the model in `workers` worker threads; a corrupt graph rejects with the loader's reason. */
export function startImageTextWorker(options: LocalWorkerStart<ImageTextWorkerData>): Promise<ImageTextResident> {
  return startPooledResident({ ...options, family: "image-text", from: import.meta.url, module: "image-text-worker" });
}

/** One question on one of the model's workers. */
export function askImageText(
  worker: EngineWorker<ImageTextTask, ImageTextAnswer>,
  task: ImageTextTask,
  signal: AbortSignal | undefined,
  onText?: (text: string) => void,
): Promise<ImageTextAnswer> {
  return worker.run({ ...task, image: ownImage(task.image) }, signal, onText);
}
