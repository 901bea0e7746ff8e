import type { ChatModel } from "./chat-model.ts";
import type { EmbeddingModel } from "./embedding-model.ts";
import type { ImageModel } from "./image-model.ts";
import type { OpenAiPassthrough } from "./openai-passthrough.ts";
import type { RunningModel } from "./running-model.ts";
import type { SpeechModel, TranscriptionModel } from "./speech-model.ts";
import type { VisionModel } from "./vision-model.ts";

export type Capability =
  | "chat"
  | "vision"
  | "tools"
  | "embeddings"
  | "ocr"
  | "detect"
  | "point"
  | "images"
  | "transcribe"
  | "translate"
  | "speak";

/** What the registry knows about one model, discovered from its provider. */
export interface ModelInfo {
  /** "<providerId>/<modelName>" */
  id: string;
  providerId: string;
  /** Name as the provider knows it. */
  name: string;
  capabilities: Capability[];
  contextLength?: number;
  /** "loaded" | "not-loaded" | "available" (remote, always ready) */
  state?: "loaded" | "not-loaded" | "available";
  /** Free-form provider metadata (architecture, quantisation, size in bytes, ...). */
  metadata?: Record<string, unknown>;
}

export interface EncodeCacheStats {
  hits: number;
  misses: number;
  /** Vision-encoder runs (each hit saves one). */
  encoderRuns: number;
  /** The same image with the same prompt: both encoders skipped. */
  promptHits: number;
  entries: number;
  capacity: number;
}

export interface ProviderHealth {
  status: "ok" | "degraded" | "down";
  detail?: string;
  latencyMs?: number;
}

/**
 * One configured provider (an entry of `providers:` in the config). Built by a factory
 * `createXProvider(config, { fetch, logger })`. Methods a provider cannot serve are absent.
 */
export interface Provider {
  readonly id: string;
  readonly type: string;
  listModels(signal?: AbortSignal): Promise<ModelInfo[]>;
  health(signal?: AbortSignal): Promise<ProviderHealth>;
  chatModel?(modelName: string): ChatModel;
  embeddingModel?(modelName: string): EmbeddingModel;
  visionModel?(modelName: string): VisionModel;
  imageModel?(modelName: string): ImageModel;
  /** Speech to text (and translation to English). */
  transcriptionModel?(modelName: string): TranscriptionModel;
  /** Text to speech. */
  speechModel?(modelName: string): SpeechModel;
  /** Load / unload for providers that manage model residency (llamacpp, lmstudio, ollama). */
  loadModel?(modelName: string, options?: { keepAliveMs?: number }): Promise<void>;
  unloadModel?(modelName: string): Promise<void>;
  /** Models resident in memory now (GET /v1/system/ps). */
  runningModels?(): RunningModel[];
  /** Engines that cache encoded images (local vision): hits and misses for /v1/system/metrics. */
  encodeCacheStats?(): EncodeCacheStats;
  /** Fast path for OpenAI-compatible upstreams (the gateway relays bytes instead of re-encoding). */
  readonly openAiPassthrough?: OpenAiPassthrough;
  /** The same raw exchange for an upstream that speaks Anthropic's Messages API (POST /messages): /v1/messages relays to it. */
  readonly anthropicPassthrough?: OpenAiPassthrough;
  /** The same raw exchange for an upstream that has OpenAI's Responses API (POST /responses): /v1/responses relays to it. */
  readonly responsesPassthrough?: OpenAiPassthrough;
  /** Release sockets, child processes, native memory. */
  close?(): Promise<void>;
}
