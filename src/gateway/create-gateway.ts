import type { ChatCore } from "../chat-core/create-chat-core.ts";
import type { StationConfig } from "../config/schema.ts";
import type { ModelRegistry } from "../models/model-registry.ts";
import { createChatCompletions } from "./create-chat-completions.ts";
import { createEmbeddings } from "./create-embeddings.ts";
import { createImageGenerations } from "./create-image-generations.ts";

export interface Gateway {
  chatCompletion: ReturnType<typeof createChatCompletions>;
  embeddings: ReturnType<typeof createEmbeddings>;
  imageGenerations: ReturnType<typeof createImageGenerations>;
}

/** The OpenAI-compatible operations over a registry; chat goes through the Station's one chat core. */
export function createGateway(registry: ModelRegistry, config: Pick<StationConfig, "defaults">, core: ChatCore): Gateway {
  return {
    chatCompletion: createChatCompletions(core),
    embeddings: createEmbeddings(registry, config.defaults.embeddingModel),
    imageGenerations: createImageGenerations(registry),
  };
}
