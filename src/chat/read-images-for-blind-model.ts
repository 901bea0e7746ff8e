import { createHash } from "node:crypto";
import { StationError } from "../errors/station-error.ts";
import type { ModelRegistry } from "../models/model-registry.ts";
import type { ContentPart, ImagePart, ModelInfo, VisionModel } from "../providers/spec/index.ts";
import { collectText } from "../vision/collect-text.ts";
import { createChatVisionModel } from "../vision/create-chat-vision-model.ts";

/** Readings kept per image (by content), so a conversation's history is not read again every turn. */
const cacheEntries = 64;

export type ImageReader = (parts: ContentPart[], signal?: AbortSignal) => Promise<ContentPart[]>;

interface Reading {
  /** What a local vision model says the image shows. */
  caption?: string;
  /** The text OCR read from it. */
  text?: string;
}

export interface ImageReaderOptions {
  /** defaults.visionModel: the describer when it is a model that can see (capability `vision`). */
  defaultVisionModel?: string | undefined;
}

/**
 * For a chat model that cannot see images: each image part becomes text. A vision model describes
 * it first (defaults.visionModel when it can see, else the first local vision model, in-process),
 * then an OCR model reads the text in it, so "what is in this photo?" and "what does this receipt
 * say?" both work on a text-only model. With neither available the turn is refused with a 400
 * that says so.
 *
 * The reader of text is the embedded OCR (or any OCR provider's model) when there is one, and a
 * local vision model that reads text (Florence-2's `<OCR_WITH_REGION>`: the describer when it
 * does, else the first listed) only when there is none:
 * PP-OCR is a text detector and recogniser made for this and reads every line it finds, while
 * Florence-2 reads text as generated tokens within the engine's maxNewTokens.
 */
export function createImageReaderForBlindModel(registry: ModelRegistry, options: ImageReaderOptions = {}): ImageReader {
  const cache = new Map<string, Reading>();
  const isLocal = (model: ModelInfo) => registry.provider(model.providerId)?.type === "local-vision";

  /** The model that describes images: defaults.visionModel when it can see, else the first local vision model. */
  const describerOf = (models: ModelInfo[]): { id: string; model: VisionModel } | undefined => {
    const configured = options.defaultVisionModel === undefined ? undefined : registry.get(options.defaultVisionModel);
    if (configured?.capabilities.includes("vision") === true && options.defaultVisionModel !== undefined) {
      const id = options.defaultVisionModel;
      const model = registry.visionModel(id) ?? createChatVisionModel(registry.chatModel(id), { canLocate: false });
      return { id, model };
    }
    const local = models.find((model) => model.capabilities.includes("vision") && isLocal(model));
    const model = local === undefined ? undefined : registry.visionModel(local.id);
    return local === undefined || model === undefined ? undefined : { id: local.id, model };
  };

  const read = async (image: ImagePart, signal?: AbortSignal): Promise<Reading> => {
    const contentHash = createHash("sha256").update(image.data).digest("hex");
    const cached = cache.get(contentHash);
    if (cached !== undefined) return cached;
    const models = registry.list();
    const describer = describerOf(models);
    const readers = models.filter((model) => model.capabilities.includes("ocr"));
    // An OCR provider's model first; else the describer when it reads text too; else the first local one that does.
    const ocrModel = readers.find((model) => !isLocal(model)) ?? readers.find((model) => model.id === describer?.id) ?? readers[0];
    const ocr = ocrModel === undefined ? undefined : registry.visionModel(ocrModel.id);
    if (describer === undefined && ocr?.readText === undefined) {
      throw new StationError({
        code: "model_cannot_see_images",
        status: 400,
        param: "attachments",
        message: "This chat model cannot see images and no local vision or OCR model is available to read them; pick a vision model",
      });
    }
    const reading: Reading = {};
    const withSignal = signal === undefined ? {} : { signal };
    if (describer !== undefined) {
      try {
        reading.caption = (
          await collectText(describer.model.caption({ model: describer.id, image, contentHash, length: "normal", ...withSignal }))
        ).trim();
      } catch (error) {
        // OCR can still say something; without it the failure is the answer.
        if (ocr?.readText === undefined) throw error;
      }
    }
    if (ocr?.readText !== undefined && ocrModel !== undefined) {
      reading.text = (await ocr.readText({ model: ocrModel.id, image, contentHash, ...withSignal })).text.trim();
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
