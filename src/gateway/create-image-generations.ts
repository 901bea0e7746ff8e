import type { ModelRegistry } from "../models/model-registry.ts";
import { createImageGenerator } from "./create-image-generator.ts";
import type { ImageGenerationBody } from "./openai-schemas.ts";

/**
 * POST /v1/images/generations through a provider with an image model. Station keeps no image
 * store, so `response_format: "url"` (OpenAI's default) answers with data: URLs.
 */
export function createImageGenerations(registry: ModelRegistry) {
  const generateImages = createImageGenerator(registry);
  return async function imageGenerations(body: ImageGenerationBody, signal: AbortSignal): Promise<Record<string, unknown>> {
    const generated = await generateImages(
      { model: body.model, prompt: body.prompt, n: body.n ?? undefined, size: body.size ?? undefined },
      signal,
    );
    const asUrl = (body.response_format ?? "url") === "url";
    return {
      created: Math.floor(Date.now() / 1000),
      data: generated.images.map((image) => {
        const base64 = Buffer.from(image.data).toString("base64");
        return asUrl ? { url: `data:${image.mediaType};base64,${base64}` } : { b64_json: base64 };
      }),
    };
  };
}
