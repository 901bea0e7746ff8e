import type { StationConfig } from "../config/schema.ts";
import type { ModelRegistry } from "../models/model-registry.ts";
import type { ImageIntake } from "../vision/create-image-intake.ts";
import { createChatCompletions } from "./create-chat-completions.ts";
import { createEmbeddings } from "./create-embeddings.ts";
import { createImageGenerations } from "./create-image-generations.ts";

export interface Gateway {
  chatCompletion: ReturnType<typeof createChatCompletions>;
  embeddings: ReturnType<typeof createEmbeddings>;
  imageGenerations: ReturnType<typeof createImageGenerations>;
}

/** The OpenAI-compatible operations over a registry; images come in through the Station's one intake (it owns the fetcher). */
export function createGateway(
  registry: ModelRegistry,
  config: Pick<StationConfig, "defaults">,
  intake: Pick<ImageIntake, "fromReference">,
): Gateway {
  return {
    chatCompletion: createChatCompletions({ registry, intake, defaultModel: config.defaults.chatModel }),
    embeddings: createEmbeddings(registry, config.defaults.embeddingModel),
    imageGenerations: createImageGenerations(registry),
  };
}
