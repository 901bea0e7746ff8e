import { createImageReaderForBlindModel } from "../chat/read-images-for-blind-model.ts";
import type { StationConfig } from "../config/schema.ts";
import type { Logger } from "../logging/create-logger.ts";
import type { McpRegistry } from "../mcp/mcp-registry.ts";
import type { ToolPreferencesStore } from "../mcp/tool-preferences-store.ts";
import type { ModelRegistry } from "../models/model-registry.ts";
import type { ImageIntake } from "../vision/create-image-intake.ts";
import type { RealtimeLimits } from "./realtime-dependencies.ts";
import type { ServerEvent } from "./realtime-protocol.ts";
import { createRealtimeSession, type RealtimeSession } from "./realtime-session.ts";

export interface RealtimeServiceOptions {
  config: StationConfig;
  registry: ModelRegistry;
  mcp: McpRegistry;
  toolPreferences: ToolPreferencesStore;
  intake: ImageIntake;
  logger: Logger;
  /** Milliseconds, for the frame limiter. */
  clock?: () => number;
}

export interface RealtimeService {
  readonly limits: RealtimeLimits;
  readonly maxSessions: number;
  readonly openSessions: number;
  /** Opens a session, which greets the client through `transmit`; undefined when maxSessions are open. */
  open(transmit: (event: ServerEvent) => void): RealtimeSession | undefined;
  /** Closes every session (their running responses abort). */
  closeAll(): void;
}

/** The realtime agent: sessions over the chat machinery (models, MCP tools, image intake). */
export function createRealtimeService(options: RealtimeServiceOptions): RealtimeService {
  const { config } = options;
  const limits: RealtimeLimits = {
    maxMessageBytes: config.realtime.maxMessageBytes ?? config.server.bodyLimitBytes,
    framesPerSecond: config.realtime.framesPerSecond,
    frameBurst: config.realtime.frameBurst,
    framesPerTurn: config.realtime.framesPerTurn,
    historyTurns: config.realtime.historyTurns,
    historyMaxChars: config.realtime.historyMaxChars,
  };
  const readImagesForBlindModel = createImageReaderForBlindModel(options.registry);
  const sessions = new Set<RealtimeSession>();
  return {
    limits,
    maxSessions: config.realtime.maxSessions,
    get openSessions() {
      return sessions.size;
    },
    open(transmit) {
      if (sessions.size >= config.realtime.maxSessions) return undefined;
      const session = createRealtimeSession(
        {
          registry: options.registry,
          mcp: options.mcp,
          toolPreferences: options.toolPreferences,
          intake: options.intake,
          readImagesForBlindModel,
          defaultChatModel: config.defaults.chatModel,
          maxToolRounds: config.chat.maxToolRounds,
          limits,
          logger: options.logger,
          ...(options.clock === undefined ? {} : { clock: options.clock }),
        },
        transmit,
      );
      sessions.add(session);
      return {
        id: session.id,
        receive: session.receive,
        close() {
          sessions.delete(session);
          session.close();
        },
      };
    },
    closeAll() {
      for (const session of sessions) session.close();
      sessions.clear();
    },
  };
}
