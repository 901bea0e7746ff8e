import type { EngineWorker } from "../engine-worker/start-engine-worker.ts";
import type { CaptionLength, VisionModel, VisionRequestBase } from "../spec/vision-model.ts";
import { streamFromCallback } from "../stream-from-callback.ts";
import type { ImageTextAnswer, ImageTextTask } from "./load-image-text-model.ts";
import { askImageText } from "./start-image-text-worker.ts";

export interface ImageTextVisionModelOptions {
  id: string;
  maxNewTokens: number;
  /** Runs `work` on one of the loaded model's workers (acquire, a bounded slot, release around it). */
  withModel<T>(
    request: VisionRequestBase,
    work: (worker: EngineWorker<ImageTextTask, ImageTextAnswer>, contentHash: string) => Promise<T>,
  ): Promise<T>;
}

const captionPrompts: Record<CaptionLength, string> = {
  short: "Describe this image in one short sentence.",
  normal: "Describe this image.",
  long: "Describe this image in detail.",
};

/**
 * SmolVLM, Qwen2-VL or moondream2 as a vision model: caption by asking for a description of the
 * chosen length, query by the question itself, both streamed. Their transformers.js exports
 * cannot ground objects (no box or point output), so there is no detect or point (the vision API
 * answers 400 unsupported).
 */
export function createImageTextVisionModel(options: ImageTextVisionModelOptions): VisionModel {
  const ask = (request: VisionRequestBase, prompt: string) =>
    streamFromCallback((onText) =>
      options.withModel(request, (worker, contentHash) =>
        askImageText(worker, { prompt, image: request.image, contentHash, maxNewTokens: options.maxNewTokens }, request.signal, onText),
      ),
    );
  return {
    id: options.id,
    caption: (request) => ask(request, captionPrompts[request.length]),
    query: (request) => ask(request, request.question),
  };
}
