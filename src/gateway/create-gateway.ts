import type { StationConfig } from "../config/schema.ts";
import type { ModelRegistry } from "../models/model-registry.ts";
import { createGuardedFetch } from "../net/create-guarded-fetch.ts";
import { createChatCompletions } from "./create-chat-completions.ts";
import { createEmbeddings } from "./create-embeddings.ts";
import { createImageGenerations } from "./create-image-generations.ts";

export interface Gateway {
  chatCompletion: ReturnType<typeof createChatCompletions>;
  embeddings: ReturnType<typeof createEmbeddings>;
  imageGenerations: ReturnType<typeof createImageGenerations>;
  close(): Promise<void>;
}

/** The OpenAI-compatible operations over a registry. */
export function createGateway(registry: ModelRegistry, config: Pick<StationConfig, "defaults" | "vision" | "security">): Gateway {
  const imageFetch = createGuardedFetch({
    allowPrivateNetworks: config.security.allowPrivateNetworks,
    timeoutMs: config.vision.fetchTimeoutMs,
    maxRedirects: 3,
    param: "messages",
  });
  return {
    chatCompletion: createChatCompletions({
      registry,
      imageFetch,
      maxImageBytes: config.vision.maxImageBytes,
      defaultModel: config.defaults.chatModel,
    }),
    embeddings: createEmbeddings(registry, config.defaults.embeddingModel),
    imageGenerations: createImageGenerations(registry),
    close: () => imageFetch.close(),
  };
}
