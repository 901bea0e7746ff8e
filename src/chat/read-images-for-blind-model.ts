import { createHash } from "node:crypto";
import { StationError } from "../errors/station-error.ts";
import type { ModelRegistry } from "../models/model-registry.ts";
import type { ContentPart, ImagePart } from "../providers/spec/index.ts";

/** OCR results kept per image (by content), so a conversation's history is not read again every turn. */
const cacheEntries = 64;

export type ImageReader = (parts: ContentPart[], signal?: AbortSignal) => Promise<ContentPart[]>;

/**
 * For a chat model that cannot see images: each image part becomes the text the embedded OCR
 * model reads from it, so "what does this receipt say?" still works on a text-only model.
 * With no OCR model available the turn is refused with a 400 that says so.
 */
export function createImageReaderForBlindModel(registry: ModelRegistry): ImageReader {
  const cache = new Map<string, string>();

  const ocrText = async (image: ImagePart, signal?: AbortSignal): Promise<string> => {
    const key = createHash("sha256").update(image.data).digest("hex");
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    const ocrModel = registry.list().find((model) => model.capabilities.includes("ocr"));
    const vision = ocrModel === undefined ? undefined : registry.visionModel(ocrModel.id);
    if (ocrModel === undefined || vision?.readText === undefined) {
      throw new StationError({
        code: "model_cannot_see_images",
        status: 400,
        param: "attachments",
        message: "This chat model cannot see images and no OCR model is available to read them; pick a vision model",
      });
    }
    const result = await vision.readText({ model: ocrModel.name, image, ...(signal === undefined ? {} : { signal }) });
    cache.set(key, result.text);
    if (cache.size > cacheEntries) cache.delete(cache.keys().next().value as string);
    return result.text;
  };

  return async (parts, signal) => {
    if (!parts.some((part) => part.type === "image")) return parts;
    const converted: ContentPart[] = [];
    let index = 0;
    for (const part of parts) {
      if (part.type !== "image") {
        converted.push(part);
        continue;
      }
      index++;
      const text = (await ocrText(part, signal)).trim();
      converted.push({
        type: "text",
        text:
          text.length === 0
            ? `[Image ${index}: this model cannot see images, and OCR found no text in it]`
            : `[Image ${index}: this model cannot see images; the text OCR read from it follows]\n${text}`,
      });
    }
    return converted;
  };
}
