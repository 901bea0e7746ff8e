import type { EngineWorker } from "../engine-worker/start-engine-worker.ts";
import { ownImage, type PooledResident, startPooledResident } from "../engine-worker/start-pooled-resident.ts";
import type { BoundingBox, Point } from "../spec/vision-model.ts";
import type { LocalWorkerStart } from "../transformers/local-worker-start.ts";
import type { MoonfileAnswer, MoonfileTask } from "./load-moonfile.ts";
import type { MoonfileWorkerData, MoonfileWorkerResult, MoonfileWorkerTask } from "./moonfile-worker-protocol.ts";

type WithText = { onText?: (text: string) => void };

/** A resident `.mf`: its ONNX sessions and encoded images live in worker threads of their own (moonfile-worker.ts). */
export type MoonfileResident = PooledResident<"moondream-mf", MoonfileWorkerTask, MoonfileWorkerResult>;
export type MoonfileWorker = EngineWorker<MoonfileWorkerTask, MoonfileWorkerResult>;

/** Loads the `.mf` in `workers` worker threads; a corrupt graph rejects with the loader's reason. */
export function startMoonfileWorker(options: LocalWorkerStart<MoonfileWorkerData>): Promise<MoonfileResident> {
  return startPooledResident({ ...options, family: "moondream-mf", from: import.meta.url, module: "moonfile-worker" });
}

/** The client's four skills on one of the model's workers. */
export function moonfileSkills(worker: MoonfileWorker) {
  const image = (task: MoonfileTask) => ({ image: ownImage(task.image), contentHash: task.contentHash });
  return {
    caption: async (task: MoonfileTask & WithText & { length: string; maxTokens: number }) =>
      (await worker.run(
        { skill: "caption", ...image(task), length: task.length, maxTokens: task.maxTokens },
        task.signal,
        task.onText,
      )) as MoonfileAnswer,
    query: async (task: MoonfileTask & WithText & { question: string; maxTokens: number }) =>
      (await worker.run(
        { skill: "query", ...image(task), question: task.question, maxTokens: task.maxTokens },
        task.signal,
        task.onText,
      )) as MoonfileAnswer,
    detect: async (task: MoonfileTask & { object: string }) =>
      (await worker.run({ skill: "detect", ...image(task), object: task.object }, task.signal)) as BoundingBox[],
    point: async (task: MoonfileTask & { object: string }) =>
      (await worker.run({ skill: "point", ...image(task), object: task.object }, task.signal)) as Point[],
  };
}
