import type { StationError } from "../../errors/station-error.ts";
import type { Capability } from "../spec/provider.ts";
import { visionModelError } from "../transformers/vision-model-error.ts";
import { type MoonfileIndex, moonfileComponent, readMoonfileEntry, readMoonfileIndex } from "./moonfile-archive.ts";
import { type MoonfileConfig, moonfileConfigSchema, moonfileGraphs } from "./moonfile-config.ts";

export interface MoonfileSummary {
  index: MoonfileIndex;
  config: MoonfileConfig;
  capabilities: Capability[];
  /** The Moondream skills the templates cover. */
  skills: ("caption" | "query" | "detect" | "point")[];
}

export type MoonfileInspection = { ok: true; summary: MoonfileSummary } | { ok: false; error: StationError };

/**
 * Reads the archive's headers and its config.json: a truncated or foreign file, a missing graph or
 * an unreadable config is refused here (422 model_invalid), before any graph is loaded.
 */
export async function inspectMoonfile(modelId: string, filePath: string): Promise<MoonfileInspection> {
  const fail = (reason: string, cause?: unknown): MoonfileInspection => ({
    ok: false,
    error: visionModelError(modelId, filePath, reason, cause),
  });
  let index: MoonfileIndex;
  try {
    index = await readMoonfileIndex(filePath);
  } catch (error) {
    return fail((error as Error).message, error);
  }
  const byKey = new Map(index.entries.map((entry) => [moonfileComponent(entry.name).key, entry]));
  const missing = [...moonfileGraphs.map((graph) => `${graph}.onnx`), "tokenizer.json", "config.json", "initial_kv_cache.npy"].filter(
    (file) => !byKey.has(moonfileComponent(file).key),
  );
  if (missing.length > 0) return fail(`the archive has no ${missing.join(", ")}`);
  let config: MoonfileConfig;
  try {
    const configEntry = byKey.get("config");
    if (configEntry === undefined) return fail("the archive has no config.json");
    const parsed = moonfileConfigSchema.safeParse(JSON.parse(Buffer.from(await readMoonfileEntry(filePath, configEntry)).toString("utf8")));
    if (!parsed.success) return fail(`config.json has no special_tokens.eos or templates: ${parsed.error.issues[0]?.message ?? ""}`);
    config = parsed.data;
  } catch (error) {
    return fail("config.json is not readable JSON", error);
  }
  const { templates } = config;
  const skills: MoonfileSummary["skills"] = [];
  if (templates.caption !== undefined && Object.keys(templates.caption).length > 0) skills.push("caption");
  if (templates.query !== undefined) skills.push("query");
  if (templates.detect !== undefined) skills.push("detect");
  if (templates.point !== undefined) skills.push("point");
  const capabilities: Capability[] = [];
  if (skills.includes("caption") || skills.includes("query")) capabilities.push("vision");
  if (skills.includes("detect")) capabilities.push("detect");
  if (skills.includes("point")) capabilities.push("point");
  return { ok: true, summary: { index, config, capabilities, skills } };
}
