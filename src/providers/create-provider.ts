import type { ProviderConfig, StationConfig } from "../config/schema.ts";
import type { Logger } from "../logging/create-logger.ts";
import type { ModelResidency, Resident } from "./residency/model-residency.ts";
import type { Provider } from "./spec/index.ts";

export interface ProviderContext {
  config: StationConfig;
  logger: Logger;
  /** Injectable for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** One residency (memory budget, keep-alive, LRU eviction) shared by every in-process engine. */
  residency?: ModelResidency<Resident>;
}

/**
 * Builds the adapter for one `providers:` entry. Each adapter's module graph is imported only
 * when a provider of its type is configured: the HTTP adapters bring undici, the engines their
 * runtimes, and a start-up pays only for what its config names.
 */
export async function createProvider(providerConfig: ProviderConfig, context: ProviderContext): Promise<Provider> {
  switch (providerConfig.type) {
    case "openai":
    case "openrouter": {
      const { createOpenAiCompatibleProvider } = await import("./openai-compatible/create-openai-compatible-provider.ts");
      return createOpenAiCompatibleProvider(providerConfig);
    }
    case "anthropic": {
      const { createAnthropicProvider } = await import("./anthropic/create-anthropic-provider.ts");
      return createAnthropicProvider(providerConfig);
    }
    case "lmstudio": {
      const { createLmStudioProvider } = await import("./lmstudio/create-lmstudio-provider.ts");
      return createLmStudioProvider(providerConfig);
    }
    case "ollama": {
      const { createOllamaProvider } = await import("./ollama/create-ollama-provider.ts");
      return createOllamaProvider(providerConfig);
    }
    case "moondream": {
      const { createMoondreamProvider } = await import("./moondream/create-moondream-provider.ts");
      return createMoondreamProvider(providerConfig, context.fetch === undefined ? {} : { fetch: context.fetch });
    }
    case "llamacpp": {
      const { createLlamaCppProvider } = await import("./llamacpp/create-llamacpp-provider.ts");
      return createLlamaCppProvider(providerConfig, context);
    }
    case "ocr": {
      const { createOcrProvider } = await import("./ocr/create-ocr-provider.ts");
      return createOcrProvider(providerConfig);
    }
    case "local-vision": {
      const { createLocalVisionProvider } = await import("./transformers/create-local-vision-provider.ts");
      return createLocalVisionProvider(providerConfig, context);
    }
    case "local-speech": {
      const { createLocalSpeechProvider } = await import("./speech/create-local-speech-provider.ts");
      return createLocalSpeechProvider(providerConfig, context);
    }
    default: {
      const unknown = providerConfig as { type: string; id: string };
      throw new Error(`provider type '${unknown.type}' (id '${unknown.id}') is not implemented yet`);
    }
  }
}
