import { errors } from "../errors/errors.ts";
import type { VisionModel } from "../providers/spec/index.ts";
import type { ModelTarget } from "./resilience/model-target.ts";
import type { Resilience } from "./resilience/resilience.ts";
import { streamWithResilience } from "./resilience/stream-with-resilience.ts";
import { withResilience } from "./resilience/with-resilience.ts";

/**
 * A native vision model (Moondream, OCR, local vision engines) for an id or route whose every
 * call goes through the resilience layer: caption and query streams are retried and failed over
 * until their first piece, detect, point and readText until they answer; all are counted in the
 * provider metrics. Undefined when the model's first target has no native vision model.
 */
export function createResilientVisionModel(id: string, targets: () => ModelTarget[], resilience: Resilience): VisionModel | undefined {
  const [first] = targets();
  const sample = first?.provider.visionModel?.(first.modelName);
  if (sample === undefined) return undefined;
  const visionOf = (target: ModelTarget): VisionModel => {
    const model = target.provider.visionModel?.(target.modelName);
    if (model === undefined) throw errors.unsupported(`The model '${target.id}' is not a vision model`, "model");
    return model;
  };
  type Skill = "detect" | "point" | "readText";
  /** One skill through the layer, as a plain call: retried and failed over until it answers. */
  const resilientSkill = <K extends Skill>(name: K, operation: string) =>
    ((request: Parameters<NonNullable<VisionModel[K]>>[0]) =>
      withResilience(
        resilience,
        targets(),
        (target, signal) => {
          const model = visionOf(target);
          const method = model[name] as ((skillRequest: typeof request) => Promise<unknown>) | undefined;
          if (method === undefined) throw errors.unsupported(`The model '${target.id}' cannot ${name}`, "model");
          return method.call(model, { ...request, model: target.modelName, signal });
        },
        { operation, signal: request.signal },
      )) as NonNullable<VisionModel[K]>;
  return {
    id,
    caption: (request) =>
      streamWithResilience(
        resilience,
        targets(),
        (target, signal) => visionOf(target).caption({ ...request, model: target.modelName, signal }),
        {
          operation: "caption",
          signal: request.signal,
        },
      ),
    query: (request) =>
      streamWithResilience(
        resilience,
        targets(),
        (target, signal) => visionOf(target).query({ ...request, model: target.modelName, signal }),
        {
          operation: "query",
          signal: request.signal,
        },
      ),
    ...(sample.detect === undefined ? {} : { detect: resilientSkill("detect", "detect") }),
    ...(sample.point === undefined ? {} : { point: resilientSkill("point", "point") }),
    ...(sample.readText === undefined ? {} : { readText: resilientSkill("readText", "read_text") }),
  };
}
