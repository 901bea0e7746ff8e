import type { ModelRegistry } from "../models/model-registry.ts";
import type { ImageOptionName, ImageParameterSupport, SchedulerName } from "../providers/spec/index.ts";
import { imageSchedulers, type SchedulerDescription, schedulerNames } from "./image-schedulers.ts";

type SchedulerSupport = ImageParameterSupport["scheduler"];

export interface ImageModelSchedulers {
  model: string;
  /** How the model's provider sends options ("openai", "diffusers", "sd-cpp"; "mixed" for a route over several). */
  dialect: string;
  scheduler_support: SchedulerSupport;
  /** Schedulers a request may name for this model (none when the provider cannot pass one on). */
  schedulers: SchedulerName[];
  /** Station sends no scheduler unless asked, so the backend's own default applies. */
  default: null;
  /** /v1/generate fields this model passes on; the others come back in `ignored`. */
  parameters: string[];
}

export interface SchedulerCatalog {
  schedulers: SchedulerDescription[];
  default: null;
  models: ImageModelSchedulers[];
}

/** The request field each option comes from in POST /v1/generate. */
export const generateFieldOf: Record<ImageOptionName, string> = {
  negativePrompt: "negative_prompt",
  steps: "steps",
  guidanceScale: "guidance_scale",
  scheduler: "scheduler",
  seed: "seed",
};

const strength: SchedulerSupport[] = ["ignored", "passed-through", "honoured"];
const noSupport: ImageParameterSupport = { dialect: "openai", options: [], scheduler: "ignored" };

/** GET /v1/schedulers: Station's scheduler names, and what each image model does with them. */
export function listImageSchedulers(registry: ModelRegistry): SchedulerCatalog {
  const models = registry
    .list()
    .filter((model) => model.capabilities.includes("images"))
    .map((model): ImageModelSchedulers => {
      const supports = (registry.lookup(model.id)?.targets ?? []).map(
        (target) => target.provider.imageModel?.(target.modelName).parameters ?? noSupport,
      );
      // A route is only as capable as its weakest target: any of them may answer.
      const combined = supports.length === 0 ? [noSupport] : supports;
      const dialects = [...new Set(combined.map((support) => support.dialect))];
      const scheduler =
        combined.map((support) => support.scheduler).sort((a, b) => strength.indexOf(a) - strength.indexOf(b))[0] ?? "ignored";
      const options = combined.reduce<readonly ImageOptionName[]>(
        (shared, support) => shared.filter((option) => support.options.includes(option)),
        combined[0]?.options ?? [],
      );
      return {
        model: model.id,
        dialect: dialects.length === 1 ? (dialects[0] as string) : "mixed",
        scheduler_support: scheduler,
        schedulers: scheduler === "ignored" ? [] : [...schedulerNames],
        default: null,
        parameters: options.map((option) => generateFieldOf[option]),
      };
    });
  return { schedulers: [...imageSchedulers], default: null, models };
}
