import type { ProviderConfig } from "../../config/schema.ts";
import { probeHealth } from "../http/probe-health.ts";
import { UpstreamClient } from "../http/upstream-client.ts";
import { memoizeByName } from "../memoize-by-name.ts";
import type { Capability, EmbeddingModel, ModelInfo, Provider, ProviderHealth } from "../spec/index.ts";
import { createOllamaChatModel } from "./create-ollama-chat-model.ts";
import { normalizeOllamaBaseUrl } from "./normalize-ollama-base-url.ts";

type OllamaProviderConfig = Extract<ProviderConfig, { type: "ollama" }>;

interface OllamaTag {
  name: string;
  model?: string;
  size?: number;
  digest?: string;
  details?: { family?: string; parameter_size?: string; quantization_level?: string; format?: string };
}

interface OllamaShow {
  capabilities?: string[];
  model_info?: Record<string, unknown>;
}

const capabilityNames: Record<string, Capability[]> = {
  completion: ["chat"],
  vision: ["vision"],
  tools: ["tools"],
  embedding: ["embeddings"],
};

/** Ollama's native API: /api/chat, /api/embed, /api/tags + /api/show (capabilities), /api/ps. */
export function createOllamaProvider(config: OllamaProviderConfig, options: { dispatcher?: import("undici").Dispatcher } = {}): Provider {
  const headers: Record<string, string> = {};
  if (config.apiKey !== undefined && config.apiKey.length > 0) headers.authorization = `Bearer ${config.apiKey}`;
  for (const [name, value] of Object.entries(config.headers ?? {})) headers[name.toLowerCase()] = value;
  const client = new UpstreamClient({
    providerId: config.id,
    baseUrl: normalizeOllamaBaseUrl(config.baseUrl),
    headers,
    connectTimeoutMs: config.connectTimeoutMs,
    timeoutMs: config.timeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
  });

  const describe = async (tag: OllamaTag, loaded: Set<string>, signal?: AbortSignal): Promise<ModelInfo> => {
    let show: OllamaShow = {};
    try {
      show = await client.json<OllamaShow>("POST", "/api/show", { model: tag.name }, signal);
    } catch {
      // Older Ollama or a model mid-download: the name alone still tells a lot.
    }
    const capabilities = (show.capabilities ?? (/embed/i.test(tag.name) ? ["embedding"] : ["completion"])).flatMap(
      (name) => capabilityNames[name] ?? [],
    );
    const contextEntry = Object.entries(show.model_info ?? {}).find(([key]) => key.endsWith(".context_length"));
    const contextLength = typeof contextEntry?.[1] === "number" ? contextEntry[1] : undefined;
    return {
      id: `${config.id}/${tag.name}`,
      providerId: config.id,
      name: tag.name,
      capabilities,
      state: loaded.has(tag.name) ? "loaded" : "not-loaded",
      ...(contextLength === undefined ? {} : { contextLength }),
      metadata: {
        ...(tag.size === undefined ? {} : { sizeBytes: tag.size }),
        ...(tag.details?.family === undefined ? {} : { family: tag.details.family }),
        ...(tag.details?.parameter_size === undefined ? {} : { parameterSize: tag.details.parameter_size }),
        ...(tag.details?.quantization_level === undefined ? {} : { quantization: tag.details.quantization_level }),
      },
    };
  };

  const loadedNames = async (signal?: AbortSignal): Promise<Set<string>> => {
    try {
      const ps = await client.json<{ models?: { name: string }[] }>("GET", "/api/ps", undefined, signal);
      return new Set((ps.models ?? []).map((model) => model.name));
    } catch {
      return new Set();
    }
  };

  return {
    id: config.id,
    type: config.type,
    async listModels(signal) {
      const [tags, loaded] = await Promise.all([
        client.json<{ models?: OllamaTag[] }>("GET", "/api/tags", undefined, signal),
        loadedNames(signal),
      ]);
      return Promise.all((tags.models ?? []).map((tag) => describe(tag, loaded, signal)));
    },
    health(signal): Promise<ProviderHealth> {
      return probeHealth(async () => {
        const version = await client.json<{ version?: string }>("GET", "/api/version", undefined, signal);
        return `ollama ${version.version ?? "?"}`;
      });
    },
    chatModel: memoizeByName((modelName) => createOllamaChatModel(client, config.id, modelName)),
    embeddingModel(modelName): EmbeddingModel {
      return {
        id: `${config.id}/${modelName}`,
        async embed(request) {
          const body: Record<string, unknown> = { model: modelName, input: request.input };
          if (request.dimensions !== undefined) body.dimensions = request.dimensions;
          const reply = await client.json<{ embeddings: number[][]; prompt_eval_count?: number }>(
            "POST",
            "/api/embed",
            body,
            request.signal,
          );
          const tokens = reply.prompt_eval_count ?? 0;
          return { embeddings: reply.embeddings, usage: { promptTokens: tokens, totalTokens: tokens } };
        },
      };
    },
    async loadModel(modelName, loadOptions) {
      const keepAlive =
        loadOptions?.keepAliveMs === undefined ? undefined : loadOptions.keepAliveMs < 0 ? -1 : `${loadOptions.keepAliveMs}ms`;
      await client.json("POST", "/api/generate", { model: modelName, ...(keepAlive === undefined ? {} : { keep_alive: keepAlive }) });
    },
    async unloadModel(modelName) {
      await client.json("POST", "/api/generate", { model: modelName, keep_alive: 0 });
    },
    close: () => client.close(),
  };
}
