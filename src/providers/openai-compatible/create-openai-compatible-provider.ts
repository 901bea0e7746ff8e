import type { ProviderConfig } from "../../config/schema.ts";
import { createPassthrough } from "../http/create-passthrough.ts";
import { probeHealth } from "../http/probe-health.ts";
import { UpstreamClient } from "../http/upstream-client.ts";
import { memoizeByName } from "../memoize-by-name.ts";
import type { Capability, EmbeddingModel, ModelInfo, Provider, ProviderHealth } from "../spec/index.ts";
import { createOpenAiChatModel } from "./create-openai-chat-model.ts";
import { createOpenAiImageModel } from "./create-openai-image-model.ts";
import { createOpenAiSpeechModel } from "./create-openai-speech-model.ts";
import { createOpenAiTranscriptionModel } from "./create-openai-transcription-model.ts";
import { guessCapabilities } from "./guess-capabilities.ts";
import { normalizeOpenAiBaseUrl } from "./normalize-openai-base-url.ts";

export type RemoteProviderConfig = Extract<ProviderConfig, { type: "openai" | "openrouter" | "lmstudio" | "ollama" }>;

export interface OpenAiCompatibleOptions {
  /** Overrides the config's base URL (LM Studio's native adapter points this at its /v1). */
  baseUrl?: string;
  apiKey?: string | undefined;
  dispatcher?: import("undici").Dispatcher;
}

interface OpenAiModelEntry {
  id: string;
  owned_by?: string;
  context_length?: number;
  max_model_len?: number;
  meta?: { n_ctx_train?: number };
  architecture?: { input_modalities?: string[]; output_modalities?: string[] };
  supported_parameters?: string[];
}

/**
 * One adapter for every server that speaks OpenAI's API: OpenAI, OpenRouter (plus its
 * attribution headers), vLLM, llama.cpp server, LM Studio's /v1.
 */
export function createOpenAiCompatibleProvider(config: RemoteProviderConfig, options: OpenAiCompatibleOptions = {}): Provider {
  const apiKey = options.apiKey ?? config.apiKey;
  const headers: Record<string, string> = {};
  if (config.type === "openrouter") {
    // OpenRouter attributes traffic with these; users may override them in `headers`.
    headers["http-referer"] = "https://github.com/station-ai/station";
    headers["x-title"] = "Station";
  }
  if (apiKey !== undefined && apiKey.length > 0) headers.authorization = `Bearer ${apiKey}`;
  for (const [name, value] of Object.entries(config.headers ?? {})) headers[name.toLowerCase()] = value;
  const client = new UpstreamClient({
    providerId: config.id,
    baseUrl: normalizeOpenAiBaseUrl(options.baseUrl ?? config.baseUrl),
    headers,
    connectTimeoutMs: config.connectTimeoutMs,
    timeoutMs: config.timeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
  });

  const passthrough = createPassthrough(client);

  // What reaches /images/generations beyond OpenAI's own parameters; only `openai` providers choose.
  const imageDialect = (config.type === "openai" ? config.imageParameters : undefined) ?? "openai";

  return {
    id: config.id,
    type: config.type,
    openAiPassthrough: passthrough,
    // Only an `openai` provider that says its server has /responses: most compatible servers do not.
    ...(config.type === "openai" && config.responses ? { responsesPassthrough: passthrough } : {}),
    async listModels(signal) {
      const list = await client.json<{ data?: OpenAiModelEntry[] }>("GET", "/models", undefined, signal);
      return (list.data ?? []).map((entry) => toModelInfo(config.id, entry));
    },
    health(signal): Promise<ProviderHealth> {
      return probeHealth(async () => {
        await client.json("GET", "/models", undefined, signal);
        return undefined;
      });
    },
    chatModel: memoizeByName((modelName) => createOpenAiChatModel(client, config.id, modelName)),
    embeddingModel(modelName): EmbeddingModel {
      return {
        id: `${config.id}/${modelName}`,
        async embed(request) {
          const body: Record<string, unknown> = { model: modelName, input: request.input, encoding_format: "float" };
          if (request.dimensions !== undefined) body.dimensions = request.dimensions;
          const reply = await client.json<{
            data?: unknown;
            usage?: { prompt_tokens?: number; total_tokens?: number };
          } | null>("POST", "/embeddings", body, request.signal);
          const items = Array.isArray(reply?.data) ? (reply.data as { index?: unknown; embedding?: unknown }[]) : [];
          if (items.length !== request.input.length || !items.every(isEmbeddingItem)) {
            throw client.badReply(
              "/embeddings",
              `no usable embeddings (expected data[] of ${request.input.length} {index, embedding: number[]})`,
            );
          }
          const embeddings = [...items].sort((a, b) => a.index - b.index).map((item) => item.embedding);
          const usage = reply?.usage;
          return {
            embeddings,
            ...(usage === undefined ? {} : { usage: { promptTokens: usage.prompt_tokens ?? 0, totalTokens: usage.total_tokens ?? 0 } }),
          };
        },
      };
    },
    imageModel: (modelName) => createOpenAiImageModel(client, config.id, modelName, imageDialect),
    transcriptionModel: (modelName) => createOpenAiTranscriptionModel(client, config.id, modelName),
    speechModel: (modelName) => createOpenAiSpeechModel(client, config.id, modelName),
    close: () => client.close(),
  };
}

function isEmbeddingItem(item: unknown): item is { index: number; embedding: number[] } {
  const candidate = item as { index?: unknown; embedding?: unknown } | null;
  return (
    typeof candidate?.index === "number" &&
    Array.isArray(candidate.embedding) &&
    candidate.embedding.every((value) => typeof value === "number")
  );
}

function toModelInfo(providerId: string, entry: OpenAiModelEntry): ModelInfo {
  let capabilities: Capability[] = guessCapabilities(entry.id);
  const inputs = entry.architecture?.input_modalities;
  if (inputs !== undefined) {
    // OpenRouter says what a model takes; trust it over the name.
    capabilities = capabilities.filter((capability) => capability !== "vision");
    if (inputs.includes("image") && capabilities.includes("chat")) capabilities.push("vision");
  }
  if (entry.supported_parameters !== undefined && !entry.supported_parameters.includes("tools")) {
    capabilities = capabilities.filter((capability) => capability !== "tools");
  }
  const contextLength = entry.context_length ?? entry.max_model_len ?? entry.meta?.n_ctx_train;
  return {
    id: `${providerId}/${entry.id}`,
    providerId,
    name: entry.id,
    capabilities,
    state: "available",
    ...(contextLength === undefined ? {} : { contextLength }),
    ...(entry.owned_by === undefined ? {} : { metadata: { ownedBy: entry.owned_by } }),
  };
}
