import type { AudioService } from "../../audio/audio-service.ts";
import type { VadFactory } from "../../audio/vad/voice-activity-detector.ts";
import type { ConversationStore } from "../../chat/conversation-store.ts";
import type { SessionLock } from "../../chat/session-lock.ts";
import type { ChatCore } from "../../chat-core/create-chat-core.ts";
import type { Logger } from "../../logging/create-logger.ts";
import type { McpRegistry } from "../../mcp/mcp-registry.ts";
import type { ModelRegistry } from "../../models/model-registry.ts";
import type { ImageIntake } from "../../vision/create-image-intake.ts";

/** What an OpenAI-dialect realtime session needs from the rest of Station (types only). */
export interface OpenAiRealtimeDependencies {
  registry: ModelRegistry;
  /** Every model call goes through it (resolution, capability checks, OCR for a model that cannot see, resilience). */
  chatCore: ChatCore;
  mcp: McpRegistry;
  intake: ImageIntake;
  audio: AudioService;
  createVad: VadFactory;
  defaultChatModel: string | undefined;
  maxToolRounds: number;
  maxMessageBytes: number;
  /** Longest audio the input buffer holds before a commit. */
  maxBufferSeconds: number;
  /** Conversation items kept; older ones are dropped. */
  maxItems: number;
  logger: Logger;
  /** A client's `stt`/`tts` settings (GET /api/clients/{id}/stt|tts), for sessions opened with `?client_id=`. */
  clientVoice?: (clientId: string) => Promise<ClientVoice>;
  /** Where sessions opened with `?client_id=&session_id=` keep their turns (the chat conversations). */
  conversations?: ConversationStore;
  /** The chat session lock (in-process, or Redis in shared mode), held while turns are stored. */
  sessionLock?: SessionLock;
  /** Per-session latency probe (bench/voice): called with a stage name and performance.now(). */
  onTiming?: (stage: "speech_stopped" | "transcribed" | "response_created" | "first_audio", at: number) => void;
}

/** What a client's voice settings choose for its sessions. */
export interface ClientVoice {
  transcriptionModel?: string | undefined;
  language?: string | undefined;
  speechModel?: string | undefined;
  voice?: string | undefined;
  speed?: number | undefined;
}
