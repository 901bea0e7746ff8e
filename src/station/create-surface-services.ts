import type { AudioService } from "../audio/audio-service.ts";
import type { ChatApplication } from "../chat/create-chat-application.ts";
import type { ChatCore } from "../chat-core/create-chat-core.ts";
import type { StationConfig } from "../config/schema.ts";
import { createGateway } from "../gateway/create-gateway.ts";
import { createImageGenerator } from "../gateway/create-image-generator.ts";
import type { CaptionQueue } from "../jobs/caption-queue.ts";
import type { Logger } from "../logging/create-logger.ts";
import type { ModelRegistry } from "../models/model-registry.ts";
import { ModelAliasStore } from "../protocols/ollama/model-alias-store.ts";
import { OllamaModels } from "../protocols/ollama/ollama-models.ts";
import { ResponseStore } from "../protocols/responses/response-store.ts";
import { loadedLlama } from "../providers/llamacpp/shared-llama.ts";
import { createRealtimeService } from "../realtime/create-realtime-service.ts";
import type { StationDatabase } from "../storage/database.ts";
import { createSystemMetrics } from "../system/create-system-metrics.ts";
import type { GatewayMetrics } from "../system/metrics/create-gateway-metrics.ts";
import { readGpuInfo } from "../system/read-gpu-info.ts";
import type { ImageIntake } from "../vision/create-image-intake.ts";
import type { SurfaceServices } from "./station.ts";

export interface SurfaceServicesOptions {
  config: StationConfig;
  version: string;
  startedAt: number;
  database: StationDatabase;
  registry: ModelRegistry;
  metrics: GatewayMetrics;
  intake: ImageIntake;
  audio: AudioService;
  chat: ChatApplication;
  chatCore: ChatCore;
  captionQueue: CaptionQueue;
  logger: Logger;
}

/**
 * The services the HTTP surfaces call, built once per Station (the composition root's job, not a
 * route plugin's): the main port and server.ollamaPort share one set of Ollama names and aliases.
 */
export async function createSurfaceServices(options: SurfaceServicesOptions): Promise<SurfaceServices> {
  const { config, registry, chat } = options;
  const ollamaModels = new OllamaModels(registry, config, new ModelAliasStore(options.database));
  await ollamaModels.load();
  return {
    gateway: createGateway(registry, config, options.chatCore),
    generateImages: createImageGenerator(registry),
    responses: new ResponseStore(options.database),
    ollamaModels,
    realtime: createRealtimeService({
      config,
      registry,
      chatCore: options.chatCore,
      mcp: chat.mcp,
      toolPreferences: chat.toolPreferences,
      intake: options.intake,
      logger: options.logger,
      audio: options.audio,
      conversations: chat.conversations,
      sessionLock: chat.sessionLock,
      clientVoice: async (clientId) => {
        const { stt, tts } = await chat.clients.get(clientId);
        return {
          transcriptionModel: stt.model ?? undefined,
          language: stt.language === "auto" ? undefined : stt.language.split("-")[0],
          speechModel: tts.provider ?? undefined,
          voice: tts.voice === "default" ? undefined : tts.voice,
          speed: tts.speed,
        };
      },
    }),
    systemMetrics: createSystemMetrics({
      version: options.version,
      startedAt: options.startedAt,
      requestRates: () => options.metrics.requestRates(),
      providerCalls: () => options.metrics.providerCalls(),
      providerStatus: () => registry.providerStatus(),
      queueStats: () => options.captionQueue.stats(),
      encodeCacheStats: () => registry.providers().flatMap((provider) => provider.encodeCacheStats?.() ?? []),
      gpu: () =>
        readGpuInfo(
          loadedLlama(),
          registry.providers().some((provider) => provider.type === "llamacpp"),
        ),
    }),
  };
}
