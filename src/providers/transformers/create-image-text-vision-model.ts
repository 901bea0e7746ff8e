import type { EngineWorker } from "../engine-worker/start-engine-worker.ts";
import type { BoundingBox, CaptionLength, VisionModel, VisionRequestBase } from "../spec/vision-model.ts";
import { streamFromCallback } from "../stream-from-callback.ts";
import type { ImageTextAnswer, ImageTextFamily, ImageTextTask } from "./load-image-text-model.ts";
import { qwen2VlGrounding } from "./qwen2vl-grounding.ts";
import { askImageText } from "./start-image-text-worker.ts";

export interface ImageTextVisionModelOptions {
  id: string;
  family: ImageTextFamily;
  maxNewTokens: number;
  /** Runs `work` on one of the loaded model's workers (acquire, a bounded slot, release around it). */
  withModel<T>(
    request: VisionRequestBase,
    work: (worker: EngineWorker<ImageTextTask, ImageTextAnswer>, contentHash: string) => Promise<T>,
  ): Promise<T>;
}

/** How a family that grounds objects in text is asked for boxes, and how its answer is read. */
interface TextGrounding {
  prompt(object: string): string;
  parse(text: string): BoundingBox[];
}

/** The families whose answers carry boxes (vision-families.ts gives them the detect and point skills). */
const groundings: Partial<Record<ImageTextFamily, TextGrounding>> = { qwen2vl: qwen2VlGrounding };

const captionPrompts: Record<CaptionLength, string> = {
  short: "Describe this image in one short sentence.",
  normal: "Describe this image.",
  long: "Describe this image in detail.",
};

/**
 * SmolVLM, Qwen2-VL or moondream2 as a vision model: caption by asking for a description of the
 * chosen length, query by the question itself, both streamed. Qwen2-VL also detects, by a
 * referring prompt whose answer holds boxes in text, and points at the centres of those boxes;
 * the others have no grounding (the vision API answers detect and point with 400 unsupported).
 */
export function createImageTextVisionModel(options: ImageTextVisionModelOptions): VisionModel {
  const task = (request: VisionRequestBase, prompt: string, contentHash: string): ImageTextTask => ({
    prompt,
    image: request.image,
    contentHash,
    maxNewTokens: options.maxNewTokens,
  });
  const ask = (request: VisionRequestBase, prompt: string) =>
    streamFromCallback((onText) =>
      options.withModel(request, (worker, contentHash) => askImageText(worker, task(request, prompt, contentHash), request.signal, onText)),
    );
  const model: VisionModel = {
    id: options.id,
    caption: (request) => ask(request, captionPrompts[request.length]),
    query: (request) => ask(request, request.question),
  };
  const grounding = groundings[options.family];
  if (grounding === undefined) return model;
  const detect = async (request: VisionRequestBase & { object: string }): Promise<BoundingBox[]> => {
    const answer = await options.withModel(request, (worker, contentHash) =>
      askImageText(worker, { ...task(request, grounding.prompt(request.object), contentHash), keepSpecialTokens: true }, request.signal),
    );
    return grounding.parse(answer.text);
  };
  return {
    ...model,
    detect,
    point: async (request) => (await detect(request)).map((box) => ({ x: (box.x_min + box.x_max) / 2, y: (box.y_min + box.y_max) / 2 })),
  };
}
