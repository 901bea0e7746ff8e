import type { ProviderConfig } from "../../config/schema.ts";
import { createPassthrough } from "../http/create-passthrough.ts";
import { probeHealth } from "../http/probe-health.ts";
import { UpstreamClient } from "../http/upstream-client.ts";
import { memoizeByName } from "../memoize-by-name.ts";
import type { ModelInfo, Provider } from "../spec/index.ts";
import { createAnthropicChatModel } from "./create-anthropic-chat-model.ts";

type AnthropicConfig = Extract<ProviderConfig, { type: "anthropic" }>;

interface AnthropicModelEntry {
  id: string;
  display_name?: string;
}

/** `https://api.anthropic.com`, `…/v1` and `…/v1/` all mean the API root `…/v1`. */
function apiRoot(baseUrl: string): string {
  const trimmed = baseUrl.replace(/\/+$/, "");
  return trimmed.endsWith("/v1") ? trimmed : `${trimmed}/v1`;
}

/**
 * Anthropic's Messages API (and servers that speak it) as a provider: `x-api-key` and
 * `anthropic-version` on every call, models from `/v1/models`, chat (text, images, tools, thinking)
 * through `/v1/messages`, JSON or its event stream. Claude models see images and call tools.
 */
export function createAnthropicProvider(config: AnthropicConfig): Provider {
  const headers: Record<string, string> = { "anthropic-version": config.anthropicVersion };
  if (config.apiKey !== undefined && config.apiKey.length > 0) headers["x-api-key"] = config.apiKey;
  for (const [name, value] of Object.entries(config.headers ?? {})) headers[name.toLowerCase()] = value;
  const client = new UpstreamClient({
    providerId: config.id,
    baseUrl: apiRoot(config.baseUrl),
    headers,
    connectTimeoutMs: config.connectTimeoutMs,
    timeoutMs: config.timeoutMs,
    idleTimeoutMs: config.idleTimeoutMs,
  });
  const toModelInfo = (entry: AnthropicModelEntry): ModelInfo => ({
    id: `${config.id}/${entry.id}`,
    providerId: config.id,
    name: entry.id,
    capabilities: ["chat", "tools", "vision"],
    state: "available",
    ...(entry.display_name === undefined ? {} : { metadata: { displayName: entry.display_name } }),
  });
  const passthrough = createPassthrough(client);
  return {
    id: config.id,
    type: config.type,
    // /v1/messages relays its clients' bodies here untouched.
    anthropicPassthrough: passthrough,
    async listModels(signal) {
      const list = await client.json<{ data?: AnthropicModelEntry[] }>("GET", "/models", undefined, signal);
      return (list.data ?? []).filter((entry) => typeof entry.id === "string").map(toModelInfo);
    },
    health(signal) {
      return probeHealth(async () => {
        await client.json("GET", "/models", undefined, signal);
        return undefined;
      });
    },
    chatModel: memoizeByName((modelName) => createAnthropicChatModel(client, config.id, modelName, config.defaultMaxTokens)),
    close: () => client.close(),
  };
}
