import type { ChatModel, EmbeddingModel, ImageModel, ModelInfo, Provider, VisionModel } from "../providers/spec/index.ts";

/**
 * Every model Station can serve, across providers and routes (aliases). Model ids are
 * "<providerId>/<modelName>" or a route name. Lookups of unknown ids throw
 * `errors.modelNotFound` (404 model_not_found).
 */
export interface ModelRegistry {
  /** Known models (discovered + configured + routes), in a stable order. */
  list(): ModelInfo[];
  get(id: string): ModelInfo | undefined;
  /** Re-discover models (one provider or all). */
  refresh(providerId?: string): Promise<void>;
  providers(): Provider[];
  provider(id: string): Provider | undefined;
  /** A chat model for an id or route name; calls go through the resilience layer. */
  chatModel(id: string): ChatModel;
  embeddingModel(id: string): EmbeddingModel;
  /** Native vision skills (Moondream, OCR), if the model's provider has them. */
  visionModel(id: string): VisionModel | undefined;
  imageModel(id: string): ImageModel;
  /** Stop refresh timers and close providers. */
  close(): Promise<void>;
}
