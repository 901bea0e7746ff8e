import type {
  ChatModel,
  EmbeddingModel,
  ImageModel,
  ModelInfo,
  Provider,
  SpeechModel,
  TranscriptionModel,
  VisionModel,
} from "../providers/spec/index.ts";
import type { ModelTarget } from "./resilience/model-target.ts";
import type { Attempt, CallOptions, Delivered } from "./resilience/resilience.ts";

/** A model id (or route name) resolved for one call. */
export interface ResolvedModel {
  /** The id as the caller gave it (a route name stays a route name). */
  id: string;
  /** What the registry knows about it (for a route: the capabilities all its targets share). */
  info: ModelInfo | undefined;
  /** Where this call should go, in order: the strategy's pick first, then fallbacks (shared: never change it). */
  targets: readonly ModelTarget[];
}

export interface ProviderStatus {
  id: string;
  type: string;
  status: "ok" | "degraded" | "down";
  detail?: string;
  models: number;
}

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
  /** Native vision skills (Moondream, OCR), if the model's provider has them; calls go through the resilience layer. */
  visionModel(id: string): VisionModel | undefined;
  imageModel(id: string): ImageModel;
  /** Speech to text (and translation); calls go through the resilience layer. */
  transcriptionModel(id: string): TranscriptionModel;
  /** Text to speech; retried and failed over until the first audio chunk. */
  speechModel(id: string): SpeechModel;
  /**
   * Resolves an id, a route name or a bare model name that one provider has. A miss triggers
   * one on-demand refresh (a model pulled a moment ago is found). Throws model_not_found.
   */
  resolve(id: string): Promise<ResolvedModel>;
  /** `resolve` without the on-demand refresh, synchronous: undefined when the id is not known yet. */
  lookup(id: string): ResolvedModel | undefined;
  /** Whether `lookup` would find the id (a route, a listed id, a bare name one provider lists), building nothing. */
  knows(id: string): boolean;
  /** The resilience layer itself, for callers that talk to targets directly (the gateway's fast path). */
  /**
   * `attempt` gets the milliseconds left before the call's deadline (retry.deadlineMs), to cap its
   * own timeout, and the call's cancellation (client gone or deadline passed) to wait on.
   */
  call<T>(targets: readonly ModelTarget[], attempt: Attempt<T>, options: CallOptions): Promise<Delivered<T>>;
  /** Each provider's health as seen by discovery and the circuit breakers (no network call). */
  providerStatus(): ProviderStatus[];
  /** Stop refresh timers and close providers. */
  close(): Promise<void>;
}
