import { randomInt } from "node:crypto";
import { performance } from "node:perf_hooks";
import { errors } from "../errors/errors.ts";
import type { ModelRegistry } from "../models/model-registry.ts";
import type { ImageGenerationOptions, ImageOptionName, ImageParameterSupport } from "../providers/spec/index.ts";

export interface ImageGenerationInput {
  /** A model id or route; omitted: the first model that can generate images. */
  model?: string | undefined;
  prompt: string;
  n?: number | undefined;
  /** "<width>x<height>" */
  size?: string | undefined;
  options?: ImageGenerationOptions;
  /** Without a seed in `options`, draw one for models that take seeds, so the result can be reproduced. */
  drawSeed?: boolean;
}

export interface GeneratedImages {
  /** The model (or route) as resolved. */
  model: string;
  images: { data: Uint8Array; mediaType: string }[];
  /** The seed the backend was given (the request's, or one Station drew); null when it was given none. */
  seed: number | null;
  /** Options the request gave that the model that answered does not pass on to its backend. */
  ignored: ImageOptionName[];
  timings: { totalMs: number; generationMs: number };
}

const optionNames: readonly ImageOptionName[] = ["negativePrompt", "steps", "guidanceScale", "scheduler", "seed"];

/**
 * The one image-generation path behind POST /v1/images/generations and POST /v1/generate:
 * resolve the model, call it through the resilience layer, say what was applied.
 */
export function createImageGenerator(registry: ModelRegistry) {
  return async function generateImages(input: ImageGenerationInput, signal: AbortSignal): Promise<GeneratedImages> {
    const started = performance.now();
    const modelId = input.model ?? defaultImageModel(registry);
    if (modelId === undefined) {
      throw errors.unsupported("No image generation model is available: configure a provider that has one and name it in 'model'", "model");
    }
    const resolved = await registry.resolve(modelId);
    const capabilities = resolved.info?.capabilities;
    if (capabilities !== undefined && capabilities.length > 0 && !capabilities.includes("images")) {
      throw errors.unsupported(`The model '${modelId}' cannot generate images (it offers: ${capabilities.join(", ")})`, "model");
    }
    const options = input.options ?? {};
    const given = optionNames.filter((name) => options[name] !== undefined);
    // A seed Station draws itself makes a result reproducible, as model stations do for "seed: -1".
    const seed = options.seed ?? (input.drawSeed ? randomInt(0, 2 ** 31) : undefined);
    let parameters: ImageParameterSupport | undefined;
    const generationStarted = performance.now();
    const delivered = await registry.call(
      resolved.targets,
      (target, _remainingMs, call) => {
        const model = target.provider.imageModel?.(target.modelName);
        if (model === undefined) throw errors.unsupported(`The model '${target.id}' cannot generate images`, "model");
        parameters = model.parameters;
        const takesSeed = model.parameters?.options.includes("seed") ?? false;
        return model.generate({
          model: target.modelName,
          prompt: input.prompt,
          signal: call.signal,
          ...(input.n == null ? {} : { n: input.n }),
          ...(input.size == null ? {} : { size: input.size }),
          options: takesSeed && seed !== undefined ? { ...options, seed } : options,
        });
      },
      { operation: "images", signal },
    );
    delivered.done();
    const generationMs = performance.now() - generationStarted;
    const applied = parameters?.options ?? [];
    return {
      model: modelId,
      images: delivered.value.images,
      seed: applied.includes("seed") ? (seed ?? null) : null,
      ignored: given.filter((name) => !applied.includes(name)),
      timings: { totalMs: round(performance.now() - started), generationMs: round(generationMs) },
    };
  };
}

export function defaultImageModel(registry: ModelRegistry): string | undefined {
  return registry.list().find((model) => model.capabilities.includes("images"))?.id;
}

function round(milliseconds: number): number {
  return Math.round(milliseconds * 100) / 100;
}
