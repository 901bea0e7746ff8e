import type { AudioService } from "../audio/audio-service.ts";
import type { ChatApplication } from "../chat/create-chat-application.ts";
import type { ChatCore } from "../chat-core/create-chat-core.ts";
import type { StationConfig } from "../config/schema.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import type { createImageGenerator } from "../gateway/create-image-generator.ts";
import type { CaptionQueue } from "../jobs/caption-queue.ts";
import type { QueueHealth } from "../jobs/open-queue-backend.ts";
import type { Logger } from "../logging/create-logger.ts";
import type { McpRegistry } from "../mcp/mcp-registry.ts";
import type { ModelRegistry } from "../models/model-registry.ts";
import type { OllamaModels } from "../protocols/ollama/ollama-models.ts";
import type { ResponseStore } from "../protocols/responses/response-store.ts";
import type { RealtimeService } from "../realtime/create-realtime-service.ts";
import type { SecretRedactor } from "../security/secret-redactor.ts";
import type { Database, DatabaseHealth } from "../storage/database.ts";
import type { createSystemMetrics } from "../system/create-system-metrics.ts";
import type { GatewayMetrics } from "../system/metrics/create-gateway-metrics.ts";
import type { VisionService } from "../vision/vision-service.ts";

export interface ProviderHealthReport {
  id: string;
  type: string;
  status: "ok" | "degraded" | "down";
  detail?: string;
}

export interface BackendHealth {
  storage: DatabaseHealth;
  queue: QueueHealth;
}

export interface HealthReport extends BackendHealth {
  /** unavailable: the database or the queue's Redis does not answer (GET /health is then a 503). */
  status: "ok" | "degraded" | "unavailable";
  version: string;
  uptimeSeconds: number;
  activeModels: string[];
  providers: ProviderHealthReport[];
  /** Set when no chat model is available, with the exact command that gets one. */
  hint?: string;
  /** Set when no model can caption (OCR alone reads text), with the command that gets one. */
  visionHint?: string;
}

/** What the HTTP surfaces call, built in the composition root (`createSurfaceServices`), never inside a route plugin. */
export interface SurfaceServices {
  /** The OpenAI-compatible operations: chat completions, embeddings, image generations. */
  readonly gateway: Gateway;
  /** POST /v1/generate's image generation (model-station style). */
  readonly generateImages: ReturnType<typeof createImageGenerator>;
  /** The Responses API's stored responses (`store`, `previous_response_id`). */
  readonly responses: ResponseStore;
  /** Ollama names over the registry, `/api/copy` aliases, pull and delete: one set for every port. */
  readonly ollamaModels: OllamaModels;
  /** Realtime agent sessions (Station's protocol and OpenAI's). */
  readonly realtime: RealtimeService;
  /** Host, GPU, queue and provider figures for GET /v1/system/metrics. */
  readonly systemMetrics: ReturnType<typeof createSystemMetrics>;
}

/**
 * Everything a running Station holds: built once by `createStation`, handed to the HTTP
 * layer and the CLI. Features hang off it; nothing here knows about HTTP.
 */
export interface Station extends SurfaceServices {
  readonly config: StationConfig;
  readonly logger: Logger;
  /** Every configured secret, replaced by value in what reaches a client or the log. */
  readonly redactor: SecretRedactor;
  readonly database: Database;
  readonly version: string;
  readonly startedAt: number;
  readonly registry: ModelRegistry;
  /** Image intake and caption/query/detect/point over the vision models. */
  readonly vision: VisionService;
  /** Speech to text and text to speech (the /v1/audio endpoints, realtime voice). */
  readonly audio: AudioService;
  /** The durable caption job queue and its webhook deliveries. */
  readonly captionQueue: CaptionQueue;
  /** Per-provider call counters and HTTP request metrics (Prometheus, GET /metrics). */
  readonly metrics: GatewayMetrics;
  /** The one surface-neutral chat operation under every chat protocol's codec. */
  readonly chatCore: ChatCore;
  /** The /api chat application: MCP tool registry, conversations, clients, uploads, suggestions. */
  readonly chat: ChatApplication;
  /** MCP servers and their merged tool catalog (the same registry as `chat.mcp`). */
  readonly mcp: McpRegistry;
  health(): Promise<HealthReport>;
  /** The database and the queue's store: reachable, latency, pool use. */
  backends(): Promise<BackendHealth>;
  /** Stops workers, closes providers and the database. Idempotent. */
  close(): Promise<void>;
}
