import { errors } from "../errors/errors.ts";
import type { Logger } from "../logging/create-logger.ts";
import type { ChatModel, EmbeddingModel, ImageModel, ModelInfo, Provider, VisionModel } from "../providers/spec/index.ts";
import type { ModelRegistry } from "./model-registry.ts";
import { splitModelId } from "./split-model-id.ts";

export interface ModelRegistryOptions {
  providers: Provider[];
  logger: Logger;
}

/** Discovers models from every provider and resolves ids to models. */
export function createModelRegistry(options: ModelRegistryOptions): ModelRegistry {
  const providersById = new Map(options.providers.map((provider) => [provider.id, provider]));
  let models = new Map<string, ModelInfo>();

  const resolve = (id: string): { provider: Provider; modelName: string } => {
    const parts = splitModelId(id);
    const provider = parts === undefined ? undefined : providersById.get(parts.providerId);
    if (parts === undefined || provider === undefined) throw errors.modelNotFound(id);
    return { provider, modelName: parts.modelName };
  };

  const registry: ModelRegistry = {
    list: () => [...models.values()],
    get: (id) => models.get(id),
    providers: () => [...providersById.values()],
    provider: (id) => providersById.get(id),
    async refresh(providerId) {
      const targets =
        providerId === undefined ? [...providersById.values()] : [providersById.get(providerId)].filter((p) => p !== undefined);
      const next = new Map(models);
      await Promise.all(
        targets.map(async (provider) => {
          try {
            const listed = await provider.listModels();
            for (const [id, info] of next) if (info.providerId === provider.id) next.delete(id);
            for (const info of listed) next.set(info.id, info);
          } catch (error) {
            options.logger.warn({ provider: provider.id, err: error }, "model discovery failed");
          }
        }),
      );
      models = next;
    },
    chatModel(id): ChatModel {
      const { provider, modelName } = resolve(id);
      if (provider.chatModel === undefined) throw errors.unsupported(`The model '${id}' cannot chat`, "model");
      return provider.chatModel(modelName);
    },
    embeddingModel(id): EmbeddingModel {
      const { provider, modelName } = resolve(id);
      if (provider.embeddingModel === undefined) throw errors.unsupported(`The model '${id}' cannot make embeddings`, "model");
      return provider.embeddingModel(modelName);
    },
    visionModel(id): VisionModel | undefined {
      const { provider, modelName } = resolve(id);
      return provider.visionModel?.(modelName);
    },
    imageModel(id): ImageModel {
      const { provider, modelName } = resolve(id);
      if (provider.imageModel === undefined) throw errors.unsupported(`The model '${id}' cannot generate images`, "model");
      return provider.imageModel(modelName);
    },
    async close() {
      await Promise.all([...providersById.values()].map((provider) => provider.close?.()));
    },
  };
  return registry;
}
