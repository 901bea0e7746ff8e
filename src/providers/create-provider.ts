import type { ProviderConfig, StationConfig } from "../config/schema.ts";
import type { Logger } from "../logging/create-logger.ts";
import { createLlamaCppProvider } from "./llamacpp/create-llamacpp-provider.ts";
import { createLmStudioProvider } from "./lmstudio/create-lmstudio-provider.ts";
import { createMoondreamProvider } from "./moondream/create-moondream-provider.ts";
import { createOcrProvider } from "./ocr/create-ocr-provider.ts";
import { createOllamaProvider } from "./ollama/create-ollama-provider.ts";
import { createOpenAiCompatibleProvider } from "./openai-compatible/create-openai-compatible-provider.ts";
import type { ModelResidency, Resident } from "./residency/model-residency.ts";
import type { Provider } from "./spec/index.ts";
import { createLocalSpeechProvider } from "./speech/create-local-speech-provider.ts";
import { createLocalVisionProvider } from "./transformers/create-local-vision-provider.ts";

export interface ProviderContext {
  config: StationConfig;
  logger: Logger;
  /** Injectable for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** One residency (memory budget, keep-alive, LRU eviction) shared by every in-process engine. */
  residency?: ModelResidency<Resident>;
}

/** Builds the adapter for one `providers:` entry. */
export function createProvider(providerConfig: ProviderConfig, context: ProviderContext): Provider {
  switch (providerConfig.type) {
    case "openai":
    case "openrouter":
      return createOpenAiCompatibleProvider(providerConfig);
    case "lmstudio":
      return createLmStudioProvider(providerConfig);
    case "ollama":
      return createOllamaProvider(providerConfig);
    case "moondream":
      return createMoondreamProvider(providerConfig, context.fetch === undefined ? {} : { fetch: context.fetch });
    case "llamacpp":
      return createLlamaCppProvider(providerConfig, context);
    case "ocr":
      return createOcrProvider(providerConfig);
    case "local-vision":
      return createLocalVisionProvider(providerConfig, context);
    case "local-speech":
      return createLocalSpeechProvider(providerConfig, context);
    default: {
      const unknown = providerConfig as { type: string; id: string };
      throw new Error(`provider type '${unknown.type}' (id '${unknown.id}') is not implemented yet`);
    }
  }
}
