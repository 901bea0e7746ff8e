import { errors } from "../errors/errors.ts";
import type { ModelRegistry } from "../models/model-registry.ts";
import type { ImageGenerationBody } from "./openai-schemas.ts";

/**
 * POST /v1/images/generations through a provider with an image model. Station keeps no image
 * store, so `response_format: "url"` (OpenAI's default) answers with data: URLs.
 */
export function createImageGenerations(registry: ModelRegistry) {
  return async function imageGenerations(body: ImageGenerationBody, signal: AbortSignal): Promise<Record<string, unknown>> {
    const modelId = body.model ?? registry.list().find((model) => model.capabilities.includes("images"))?.id;
    if (modelId === undefined) {
      throw errors.unsupported("No image generation model is available: configure a provider that has one and name it in 'model'", "model");
    }
    const resolved = await registry.resolve(modelId);
    const capabilities = resolved.info?.capabilities;
    if (capabilities !== undefined && capabilities.length > 0 && !capabilities.includes("images")) {
      throw errors.unsupported(`The model '${modelId}' cannot generate images (it offers: ${capabilities.join(", ")})`, "model");
    }
    const delivered = await registry.call(
      resolved.targets,
      (target) => {
        const model = target.provider.imageModel?.(target.modelName);
        if (model === undefined) throw errors.unsupported(`The model '${target.id}' cannot generate images`, "model");
        return model.generate({
          model: target.modelName,
          prompt: body.prompt,
          signal,
          ...(body.n == null ? {} : { n: body.n }),
          ...(body.size == null ? {} : { size: body.size }),
        });
      },
      { operation: "images", signal },
    );
    delivered.done();
    const asUrl = (body.response_format ?? "url") === "url";
    return {
      created: Math.floor(Date.now() / 1000),
      data: delivered.value.images.map((image) => {
        const base64 = Buffer.from(image.data).toString("base64");
        return asUrl ? { url: `data:${image.mediaType};base64,${base64}` } : { b64_json: base64 };
      }),
    };
  };
}
