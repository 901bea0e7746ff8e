import type { VisionModel, VisionRequestBase } from "../spec/vision-model.ts";
import { streamFromCallback } from "../stream-from-callback.ts";
import { type MoonfileWorker, moonfileSkills } from "./start-moonfile-worker.ts";

export interface MoonfileVisionModelOptions {
  id: string;
  maxNewTokens: number;
  /** Runs `work` on one of the loaded model's workers (acquire, a bounded slot, release around it). */
  withModel<T>(request: VisionRequestBase, work: (worker: MoonfileWorker, contentHash: string) => Promise<T>): Promise<T>;
}

/** A Moondream `.mf` as a vision model: the client's four skills, caption and query streamed token by token. */
export function createMoonfileVisionModel(options: MoonfileVisionModelOptions): VisionModel {
  const task = (request: VisionRequestBase, contentHash: string) => ({ image: request.image, contentHash, signal: request.signal });
  const run = <T>(request: VisionRequestBase, work: (skills: ReturnType<typeof moonfileSkills>, contentHash: string) => Promise<T>) =>
    options.withModel(request, (worker, contentHash) => work(moonfileSkills(worker), contentHash));
  return {
    id: options.id,
    caption: (request) =>
      streamFromCallback((onText) =>
        run(request, (model, contentHash) =>
          model.caption({ ...task(request, contentHash), length: request.length, maxTokens: options.maxNewTokens, onText }),
        ),
      ),
    query: (request) =>
      streamFromCallback((onText) =>
        run(request, (model, contentHash) =>
          model.query({ ...task(request, contentHash), question: request.question, maxTokens: options.maxNewTokens, onText }),
        ),
      ),
    detect: (request) => run(request, (model, contentHash) => model.detect({ ...task(request, contentHash), object: request.object })),
    point: (request) => run(request, (model, contentHash) => model.point({ ...task(request, contentHash), object: request.object })),
  };
}
