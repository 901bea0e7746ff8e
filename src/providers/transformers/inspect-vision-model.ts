import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { StationError } from "../../errors/station-error.ts";
import type { OnnxModelDirectory } from "./find-onnx-model-directories.ts";
import { type OnnxDtype, onnxDtypes } from "./onnx-dtypes.ts";
import { speechFamilyOf } from "./speech-families.ts";
import { familyOf, type VisionFamily } from "./vision-families.ts";
import { visionModelError } from "./vision-model-error.ts";

export interface VisionModelSummary {
  family: string;
  modelType: string;
  runner: VisionFamily["runner"];
  skills: VisionFamily["skills"];
  capabilities: VisionFamily["capabilities"];
  /** The precision picked per component among the files present. */
  dtypes: Record<string, OnnxDtype>;
  sizeBytes: number;
}

export type VisionInspection =
  | { ok: true; summary: VisionModelSummary }
  /** speech: a speech family's directory (Moonshine, Whisper, VITS), the local-speech engine's to serve, not a broken vision model. */
  | { ok: false; error: StationError; family?: string; speech?: true };

const configSchema = z.looseObject({ model_type: z.string().min(1) });

/** Reads config.json and the onnx/ listing: which family, which files, or the clear reason it cannot be served. */
export async function inspectVisionModel(modelId: string, model: OnnxModelDirectory): Promise<VisionInspection> {
  const fail = (reason: string, family?: string, cause?: unknown): VisionInspection => ({
    ok: false,
    error: visionModelError(modelId, model.path, reason, cause),
    ...(family === undefined ? {} : { family }),
  });
  let config: z.infer<typeof configSchema>;
  try {
    const parsed = configSchema.safeParse(JSON.parse(await readFile(path.join(model.path, "config.json"), "utf8")));
    if (!parsed.success) return fail("config.json has no model_type");
    config = parsed.data;
  } catch (error) {
    return fail("config.json is not readable JSON", undefined, error);
  }
  const match = familyOf(config.model_type);
  if (match === undefined && speechFamilyOf(config.model_type) !== undefined)
    return {
      ok: false,
      error: visionModelError(
        modelId,
        model.path,
        `the architecture '${config.model_type}' is a speech model (the local-speech engine serves it)`,
      ),
      speech: true,
    };
  if (match === undefined)
    return fail(
      `the architecture '${config.model_type}' is not a vision family Station can run (Florence-2, moondream2, SmolVLM, Qwen2-VL)`,
    );
  const [family, definition] = match;
  const files = new Set(await readdir(path.join(model.path, "onnx")).catch(() => []));
  const dtypes: Record<string, OnnxDtype> = {};
  for (const component of definition.components) {
    const present = onnxDtypes.find(({ suffix }) => files.has(`${component}${suffix}.onnx`));
    if (present === undefined) return fail(`onnx/${component}.onnx is missing`, family);
    dtypes[component] = present.dtype;
  }
  for (const required of ["tokenizer.json", "preprocessor_config.json"]) {
    const present = await readFile(path.join(model.path, required)).then(
      () => true,
      () => false,
    );
    if (!present) return fail(`${required} is missing`, family);
  }
  return {
    ok: true,
    summary: {
      family,
      modelType: config.model_type,
      runner: definition.runner,
      skills: definition.skills,
      capabilities: definition.capabilities,
      dtypes,
      sizeBytes: model.sizeBytes,
    },
  };
}
