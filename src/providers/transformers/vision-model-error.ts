import { StationError } from "../../errors/station-error.ts";

/**
 * A local vision model Station refuses to load: unreadable config, an architecture the engine
 * cannot run, missing or corrupt ONNX graphs. 422: the request was understood, but the model
 * behind it cannot be served.
 */
export function visionModelError(modelId: string, modelPath: string, reason: string, cause?: unknown): StationError {
  return new StationError({
    code: "model_invalid",
    status: 422,
    param: "model",
    message: `The local vision model '${modelId}' cannot be loaded: ${reason} (${modelPath}). Re-download it (bin/station pull hf:...) or remove it.`,
    cause,
  });
}
