import { createHash } from "node:crypto";
import { StationError } from "../errors/station-error.ts";
import type { ModelRegistry } from "../models/model-registry.ts";
import type { ContentPart, ImagePart } from "../providers/spec/index.ts";
import { collectText } from "../vision/collect-text.ts";

/** Readings kept per image (by content), so a conversation's history is not read again every turn. */
const cacheEntries = 64;

export type ImageReader = (parts: ContentPart[], signal?: AbortSignal) => Promise<ContentPart[]>;

interface Reading {
  /** What a local vision model says the image shows. */
  caption?: string;
  /** The text OCR read from it. */
  text?: string;
}

/**
 * For a chat model that cannot see images: each image part becomes text. A local vision model
 * (in-process, e.g. Florence-2) describes it first, then the embedded OCR model reads the text in
 * it, so "what is in this photo?" and "what does this receipt say?" both work on a text-only
 * model. With neither available the turn is refused with a 400 that says so.
 */
export function createImageReaderForBlindModel(registry: ModelRegistry): ImageReader {
  const cache = new Map<string, Reading>();

  const read = async (image: ImagePart, signal?: AbortSignal): Promise<Reading> => {
    const contentHash = createHash("sha256").update(image.data).digest("hex");
    const cached = cache.get(contentHash);
    if (cached !== undefined) return cached;
    const models = registry.list();
    const localVision = models.find(
      (model) => model.capabilities.includes("vision") && registry.provider(model.providerId)?.type === "local-vision",
    );
    const ocrModel = models.find((model) => model.capabilities.includes("ocr"));
    const describer = localVision === undefined ? undefined : registry.visionModel(localVision.id);
    const ocr = ocrModel === undefined ? undefined : registry.visionModel(ocrModel.id);
    if ((describer === undefined || localVision === undefined) && ocr?.readText === undefined) {
      throw new StationError({
        code: "model_cannot_see_images",
        status: 400,
        param: "attachments",
        message: "This chat model cannot see images and no local vision or OCR model is available to read them; pick a vision model",
      });
    }
    const reading: Reading = {};
    const withSignal = signal === undefined ? {} : { signal };
    if (describer !== undefined && localVision !== undefined) {
      try {
        reading.caption = (
          await collectText(describer.caption({ model: localVision.name, image, contentHash, length: "normal", ...withSignal }))
        ).trim();
      } catch (error) {
        // OCR can still say something; without it the failure is the answer.
        if (ocr?.readText === undefined) throw error;
      }
    }
    if (ocr?.readText !== undefined && ocrModel !== undefined) {
      reading.text = (await ocr.readText({ model: ocrModel.name, image, ...withSignal })).text.trim();
    }
    cache.set(contentHash, reading);
    if (cache.size > cacheEntries) cache.delete(cache.keys().next().value as string);
    return reading;
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
      converted.push({ type: "text", text: describe(index, await read(part, signal)) });
    }
    return converted;
  };
}

function describe(index: number, reading: Reading): string {
  const caption = reading.caption ?? "";
  const text = reading.text ?? "";
  if (caption === "" && text === "") return `[Image ${index}: this model cannot see images, and OCR found no text in it]`;
  if (caption === "") return `[Image ${index}: this model cannot see images; the text OCR read from it follows]\n${text}`;
  if (text === "") return `[Image ${index}: this model cannot see images; a local vision model describes it]\n${caption}`;
  return `[Image ${index}: this model cannot see images; a local vision model describes it, then the text OCR read from it]\n${caption}\nText: ${text}`;
}
