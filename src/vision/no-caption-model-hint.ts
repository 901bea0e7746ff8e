import type { ModelInfo } from "../providers/spec/index.ts";

/** A local vision model that captions, answers and detects in-process (issue 11's engine). */
export const recommendedVisionModelUri = "hf:onnx-community/Florence-2-base-ft";

/**
 * With the embedded defaults the only vision model is OCR: "caption this photo" returns the text
 * on the sign, or "(no text found)". Say so, until a model that can see (capability `vision`:
 * a local vision model, Moondream, a vision chat model) is in the registry.
 */
export function noCaptionModelHint(models: ModelInfo[]): string | undefined {
  if (models.some((model) => model.capabilities.includes("vision"))) return undefined;
  const ocr = models.find((model) => model.capabilities.includes("ocr"));
  const now =
    ocr === undefined
      ? "Captions and questions about images fail (no vision model)."
      : `Captions and answers about images come from OCR (${ocr.id}): it only reads the text in an image, and says "(no text found)" when there is none.`;
  return `No captioning model is available. ${now} Download a local vision model with: bin/station pull ${recommendedVisionModelUri}, or add a vision provider (Moondream, a vision chat model) to the config.`;
}

/** The hint for one reply: only when the model that answered is OCR alone. */
export function ocrOnlyReplyHint(info: ModelInfo | undefined, models: ModelInfo[]): string | undefined {
  if (info === undefined || !info.capabilities.includes("ocr") || info.capabilities.includes("vision")) return undefined;
  return (
    noCaptionModelHint(models) ??
    `${info.id} is OCR: it only reads the text in an image. Name a model that can see (capability 'vision') in 'model' for a caption.`
  );
}
