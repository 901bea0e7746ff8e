import type { StationConfig } from "../config/schema.ts";
import type { Logger } from "../logging/create-logger.ts";
import { createModelRegistry } from "../models/create-model-registry.ts";
import type { ModelRegistry } from "../models/model-registry.ts";
import { createProvider } from "../providers/create-provider.ts";
import type { Provider } from "../providers/spec/index.ts";

/**
 * The registry a one-shot CLI command sees (`station models`, `station doctor`): the configured
 * providers, discovered once, exactly as `serve` would build them. A provider that cannot be
 * built is reported through `onDisabled` and left out.
 */
export async function openModelRegistry(
  config: StationConfig,
  logger: Logger,
  onDisabled: (providerId: string, error: Error) => void,
): Promise<{ registry: ModelRegistry; providers: Provider[] }> {
  const built = await Promise.all(
    (config.providers ?? []).map(async (providerConfig): Promise<Provider[]> => {
      try {
        return [await createProvider(providerConfig, { config, logger })];
      } catch (error) {
        onDisabled(providerConfig.id, error as Error);
        return [];
      }
    }),
  );
  const providers = built.flat();
  const registry = createModelRegistry({ providers, logger, config });
  await registry.refresh();
  return { registry, providers };
}
