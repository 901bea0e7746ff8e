import { createHash } from "node:crypto";
import type { CaptionLength, VisionModel, VisionRequestBase } from "../spec/vision-model.ts";
import { streamFromCallback } from "../stream-from-callback.ts";
import type { SmolVlmResident } from "./start-smolvlm-worker.ts";

export interface SmolVlmVisionModelOptions {
  id: string;
  maxNewTokens: number;
  /** Runs `work` on the loaded model (acquire, a bounded slot, release around it). */
  withModel<T>(request: VisionRequestBase, work: (model: SmolVlmResident) => Promise<T>): Promise<T>;
}

const captionPrompts: Record<CaptionLength, string> = {
  short: "Describe this image in one short sentence.",
  normal: "Describe this image.",
  long: "Describe this image in detail.",
};

/**
 * SmolVLM as a vision model: caption by asking for a description of the chosen length, query by
 * the question itself, both streamed. It cannot ground objects, so there is no detect or point
 * (the vision API answers 400 unsupported).
 */
export function createSmolVlmVisionModel(options: SmolVlmVisionModelOptions): VisionModel {
  const ask = (request: VisionRequestBase, prompt: string) =>
    streamFromCallback((onText) =>
      options.withModel(request, (model) =>
        model.ask(
          {
            prompt,
            image: request.image,
            contentHash: request.contentHash ?? createHash("sha256").update(request.image.data).digest("hex"),
            maxNewTokens: options.maxNewTokens,
          },
          request.signal,
          onText,
        ),
      ),
    );
  return {
    id: options.id,
    caption: (request) => ask(request, captionPrompts[request.length]),
    query: (request) => ask(request, request.question),
  };
}
