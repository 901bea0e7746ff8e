import type { ModelInfo, RunningModel } from "../../providers/spec/index.ts";
import { ollamaDigest, toOllamaName } from "./ollama-names.ts";

function metadataString(info: ModelInfo | undefined, ...keys: string[]): string {
  for (const key of keys) {
    const value = info?.metadata?.[key];
    if (typeof value === "string" && value.length > 0) return value;
    if (typeof value === "number") return String(value);
  }
  return "";
}

function metadataNumber(info: ModelInfo | undefined, ...keys: string[]): number {
  for (const key of keys) {
    const value = info?.metadata?.[key];
    if (typeof value === "number") return value;
  }
  return 0;
}

/** Ollama's `details` object from what the provider told the registry. */
export function ollamaDetails(info: ModelInfo | undefined): Record<string, unknown> {
  const family = metadataString(info, "architecture", "family") || (info?.providerId ?? "");
  return {
    parent_model: "",
    format: metadataString(info, "format") || (info?.metadata?.path !== undefined ? "gguf" : ""),
    family,
    families: family.length > 0 ? [family] : null,
    parameter_size: metadataString(info, "parameterSize", "parameter_size", "parameters"),
    quantization_level: metadataString(info, "quantization", "quantization_level", "fileType"),
  };
}

/** One /api/tags entry. */
export function toOllamaTag(info: ModelInfo, modifiedAt: string): Record<string, unknown> {
  const name = toOllamaName(info.id);
  return {
    name,
    model: name,
    modified_at: modifiedAt,
    size: metadataNumber(info, "sizeBytes", "size"),
    digest: ollamaDigest(info.id),
    details: ollamaDetails(info),
  };
}

/** Ollama's capability names for what a model can do. */
export function ollamaCapabilities(info: ModelInfo | undefined): string[] {
  const capabilities = info?.capabilities ?? ["chat"];
  const names: string[] = [];
  if (capabilities.includes("chat")) names.push("completion");
  if (capabilities.includes("tools")) names.push("tools");
  if (capabilities.includes("vision")) names.push("vision");
  if (capabilities.includes("embeddings")) names.push("embedding");
  return names;
}

/** /api/show: Continue reads `parameters` and `template`, Open WebUI `capabilities` and `model_info`. */
export function toOllamaShow(info: ModelInfo | undefined, id: string, modifiedAt: string): Record<string, unknown> {
  const details = ollamaDetails(info);
  const architecture = String(details.family || "station");
  const modelInfo: Record<string, unknown> = { "general.architecture": architecture, "general.name": id };
  if (info?.contextLength !== undefined) modelInfo[`${architecture}.context_length`] = info.contextLength;
  return {
    license: "",
    modelfile: `# Served by Station: ${id}\nFROM ${id}\n`,
    parameters: info?.contextLength === undefined ? "" : `num_ctx                        ${info.contextLength}`,
    // Station applies each model's own chat template itself; this is the plain prompt form tools expect.
    template: "{{ if .System }}{{ .System }}\n\n{{ end }}{{ .Prompt }}",
    details,
    model_info: modelInfo,
    capabilities: ollamaCapabilities(info),
    modified_at: modifiedAt,
  };
}

/** One /api/ps entry. */
export function toOllamaRunning(running: RunningModel, info: ModelInfo | undefined): Record<string, unknown> {
  const name = toOllamaName(running.id);
  const farFuture = "2318-01-01T00:00:00Z";
  return {
    name,
    model: name,
    size: running.sizeBytes,
    digest: ollamaDigest(running.id),
    details: ollamaDetails(info),
    expires_at:
      running.expiresAt ?? (running.keepAliveMs === -1 ? farFuture : new Date(Date.now() + Math.max(0, running.keepAliveMs)).toISOString()),
    // In-process engines here run on the CPU: nothing sits in VRAM.
    size_vram: 0,
    context_length: running.contextSize,
  };
}
