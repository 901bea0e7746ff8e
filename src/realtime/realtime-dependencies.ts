import type { ChatCore } from "../chat-core/create-chat-core.ts";
import type { Logger } from "../logging/create-logger.ts";
import type { McpRegistry } from "../mcp/mcp-registry.ts";
import type { ToolPreferencesStore } from "../mcp/tool-preferences-store.ts";
import type { ModelRegistry } from "../models/model-registry.ts";
import type { ImageIntake } from "../vision/create-image-intake.ts";

/** What a realtime session needs from the rest of Station (types only). */
export interface RealtimeLimits {
  maxMessageBytes: number;
  framesPerSecond: number;
  frameBurst: number;
  framesPerTurn: number;
  historyTurns: number;
  historyMaxChars: number;
}

export interface RealtimeDependencies {
  registry: ModelRegistry;
  mcp: McpRegistry;
  toolPreferences: ToolPreferencesStore;
  intake: ImageIntake;
  /** Every model call goes through it (resolution, capability checks, OCR for a model that cannot see, resilience). */
  chatCore: ChatCore;
  /** defaults.chatModel from the config. */
  defaultChatModel: string | undefined;
  maxToolRounds: number;
  limits: RealtimeLimits;
  logger: Logger;
  /** Milliseconds, for the frame limiter (tests inject a manual clock). */
  clock?: () => number;
}
