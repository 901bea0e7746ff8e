import type { Capability, ModelInfo } from "../spec/index.ts";

/** An entry of `GET /api/v1/models` (LM Studio 0.4+). */
export interface LmStudioV1Model {
  type: "llm" | "embedding" | string;
  key: string;
  display_name?: string;
  publisher?: string;
  architecture?: string;
  quantization?: { name?: string } | string | null;
  size_bytes?: number;
  params_string?: string | null;
  max_context_length?: number;
  format?: string;
  loaded_instances?: { id: string; config?: { context_length?: number } }[];
  capabilities?: { vision?: boolean; trained_for_tool_use?: boolean };
}

/** An entry of `GET /api/v0/models` (LM Studio 0.3.6+). */
export interface LmStudioV0Model {
  id: string;
  type: "llm" | "vlm" | "embeddings" | string;
  publisher?: string;
  arch?: string;
  compatibility_type?: string;
  quantization?: string;
  state?: "loaded" | "not-loaded";
  max_context_length?: number;
  capabilities?: string[];
}

export function fromV1Model(providerId: string, model: LmStudioV1Model): ModelInfo {
  const capabilities: Capability[] = [];
  if (model.type === "embedding" || model.type === "embeddings") capabilities.push("embeddings");
  else {
    capabilities.push("chat");
    if (model.capabilities?.trained_for_tool_use) capabilities.push("tools");
    if (model.capabilities?.vision) capabilities.push("vision");
  }
  const instances = model.loaded_instances ?? [];
  const quantization = typeof model.quantization === "string" ? model.quantization : model.quantization?.name;
  return {
    id: `${providerId}/${model.key}`,
    providerId,
    name: model.key,
    capabilities,
    state: instances.length > 0 ? "loaded" : "not-loaded",
    ...(model.max_context_length === undefined ? {} : { contextLength: model.max_context_length }),
    metadata: compact({
      type: model.type,
      displayName: model.display_name,
      publisher: model.publisher,
      architecture: model.architecture,
      quantization,
      sizeBytes: model.size_bytes,
      parameters: model.params_string ?? undefined,
      format: model.format,
      loadedInstances: instances.map((instance) => instance.id),
    }),
  };
}

export function fromV0Model(providerId: string, model: LmStudioV0Model): ModelInfo {
  const capabilities: Capability[] = model.type === "embeddings" ? ["embeddings"] : model.type === "vlm" ? ["chat", "vision"] : ["chat"];
  if (capabilities.includes("chat") && (model.capabilities ?? []).includes("tool_use")) capabilities.push("tools");
  return {
    id: `${providerId}/${model.id}`,
    providerId,
    name: model.id,
    capabilities,
    state: model.state === "loaded" ? "loaded" : "not-loaded",
    ...(model.max_context_length === undefined ? {} : { contextLength: model.max_context_length }),
    metadata: compact({
      type: model.type,
      publisher: model.publisher,
      architecture: model.arch,
      format: model.compatibility_type,
      quantization: model.quantization,
    }),
  };
}

function compact(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined));
}
