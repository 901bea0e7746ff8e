import type { ProviderConfig } from "../../config/schema.ts";
import { UpstreamError } from "../../errors/upstream-error.ts";
import { probeHealth } from "../http/probe-health.ts";
import { UpstreamClient } from "../http/upstream-client.ts";
import { createOpenAiCompatibleProvider } from "../openai-compatible/create-openai-compatible-provider.ts";
import type { ModelInfo, Provider, ProviderHealth } from "../spec/index.ts";
import { fromV0Model, fromV1Model, type LmStudioV0Model, type LmStudioV1Model } from "./lmstudio-model-info.ts";
import { normalizeLmStudioBaseUrl } from "./normalize-lmstudio-base-url.ts";

type LmStudioProviderConfig = Extract<ProviderConfig, { type: "lmstudio" }>;

/**
 * LM Studio: inference through its OpenAI-compatible /v1 (fast path included), models and
 * residency through the native REST API — /api/v1 (0.4+: load/unload, capabilities) with a
 * fallback to /api/v0 (0.3.6+: type llm/vlm/embeddings, state).
 */
export function createLmStudioProvider(
  config: LmStudioProviderConfig,
  options: { dispatcher?: import("undici").Dispatcher } = {},
): Provider {
  const root = normalizeLmStudioBaseUrl(config.baseUrl);
  const headers: Record<string, string> = {};
  if (config.apiKey !== undefined && config.apiKey.length > 0) headers.authorization = `Bearer ${config.apiKey}`;
  for (const [name, value] of Object.entries(config.headers ?? {})) headers[name.toLowerCase()] = value;
  const native = new UpstreamClient({
    providerId: config.id,
    baseUrl: root,
    headers,
    connectTimeoutMs: config.connectTimeoutMs,
    timeoutMs: config.timeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
    ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
  });
  const inference = createOpenAiCompatibleProvider(config, { baseUrl: `${root}/v1`, ...options });
  /** Which native API this server speaks; learnt on first use. */
  let apiVersion: "v1" | "v0" | undefined;

  const listNative = async (signal?: AbortSignal): Promise<{ version: "v1" | "v0"; models: ModelInfo[] }> => {
    if (apiVersion !== "v0") {
      try {
        const list = await native.json<{ models?: LmStudioV1Model[] }>("GET", "/api/v1/models", undefined, signal);
        apiVersion = "v1";
        return { version: "v1", models: (list.models ?? []).map((model) => fromV1Model(config.id, model)) };
      } catch (error) {
        if (!(error instanceof UpstreamError && error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500))
          throw error;
        if (error.statusCode === 401 || error.statusCode === 403) throw error;
      }
    }
    const list = await native.json<{ data?: LmStudioV0Model[] }>("GET", "/api/v0/models", undefined, signal);
    apiVersion = "v0";
    return { version: "v0", models: (list.data ?? []).map((model) => fromV0Model(config.id, model)) };
  };

  const instancesOf = async (modelName: string): Promise<string[]> => {
    const list = await native.json<{ models?: LmStudioV1Model[] }>("GET", "/api/v1/models");
    return (list.models ?? []).find((model) => model.key === modelName)?.loaded_instances?.map((instance) => instance.id) ?? [];
  };

  return {
    ...inference,
    id: config.id,
    type: config.type,
    async listModels(signal) {
      return (await listNative(signal)).models;
    },
    health(signal): Promise<ProviderHealth> {
      return probeHealth(async () => {
        const { version, models } = await listNative(signal);
        const loaded = models.filter((model) => model.state === "loaded").length;
        return `LM Studio REST /api/${version}, ${loaded} loaded`;
      });
    },
    async loadModel(modelName) {
      if (apiVersion === undefined) await listNative();
      // /api/v0 has no load endpoint: LM Studio loads just in time on the first request.
      if (apiVersion === "v0") return;
      await native.json("POST", "/api/v1/models/load", { model: modelName });
    },
    async unloadModel(modelName) {
      if (apiVersion === undefined) await listNative();
      if (apiVersion === "v0") return;
      for (const instanceId of await instancesOf(modelName)) {
        await native.json("POST", "/api/v1/models/unload", { instance_id: instanceId });
      }
    },
    async close() {
      await Promise.all([native.close(), inference.close?.()]);
    },
  };
}
