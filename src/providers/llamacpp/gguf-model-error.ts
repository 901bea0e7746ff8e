import { StationError } from "../../errors/station-error.ts";

/**
 * A GGUF file Station refuses to load (corrupt, truncated, missing keys llama.cpp needs).
 * 422: the request was understood, but the model file behind it cannot be served.
 */
export function ggufModelError(modelName: string, filePath: string, reason: string, cause?: unknown): StationError {
  return new StationError({
    code: "model_invalid",
    status: 422,
    param: "model",
    message: `The model file for '${modelName}' cannot be loaded: ${reason} (${filePath}). Re-download it (bin/station pull ...) or remove it.`,
    cause,
  });
}
