import type { FunctionTool, SessionPatch } from "./openai-client-events.ts";

/** A session's settings as Station keeps them (OpenAI's session object, flattened). */
export interface OpenAiSessionConfig {
  /** A Station chat model (id, route or bare name); unknown names fall back to the default chat model. */
  model: string;
  instructions: string;
  outputModalities: ("text" | "audio")[];
  /** A Station speech-to-text model; null: no input transcription events (turns are still transcribed to answer them). */
  transcriptionModel: string | null;
  transcriptionLanguage: string | undefined;
  turnDetection: {
    threshold: number;
    prefixPaddingMs: number;
    silenceDurationMs: number;
    createResponse: boolean;
    interruptResponse: boolean;
  } | null;
  /** A Station text-to-speech model; undefined: defaults.speechModel or the first model that can speak. */
  speechModel: string | undefined;
  voice: string;
  speed: number;
  /** Audio on the wire: PCM16 at 24 kHz, or G.711 μ-law / A-law at 8 kHz (telephony). */
  inputFormat: AudioFormat;
  outputFormat: AudioFormat;
  tools: FunctionTool[];
  toolChoice: "auto" | "none" | "required" | { name: string };
  maxOutputTokens: number | "inf";
  temperature: number | undefined;
}

export type AudioFormat = "audio/pcm" | "audio/pcmu" | "audio/pcma";

/** Samples per second of a wire format. */
export const formatRate = (format: AudioFormat): number => (format === "audio/pcm" ? 24_000 : 8000);

/** OpenAI's format object for a wire format. */
export const describeFormat = (format: AudioFormat) => (format === "audio/pcm" ? { type: format, rate: 24_000 } : { type: format });

export const defaultTurnDetection = {
  threshold: 0.5,
  prefixPaddingMs: 300,
  silenceDurationMs: 500,
  createResponse: true,
  interruptResponse: true,
};

/** Applies a session.update; throws a message for what Station cannot do (the caller makes it an error event). */
export function applySessionPatch(config: OpenAiSessionConfig, patch: SessionPatch): OpenAiSessionConfig {
  const next: OpenAiSessionConfig = { ...config };
  if (patch.model !== undefined) next.model = patch.model;
  if (patch.instructions !== undefined) next.instructions = patch.instructions;
  if (patch.output_modalities !== undefined) next.outputModalities = [...new Set(patch.output_modalities)];
  const input = patch.audio?.input;
  for (const [format, param] of [
    [input?.format, "session.audio.input.format"],
    [patch.audio?.output?.format, "session.audio.output.format"],
  ] as const) {
    if (format === undefined) continue;
    const rate = (format as { rate?: unknown }).rate;
    if (format.type === "audio/pcm" ? rate !== undefined && rate !== 24_000 : rate !== undefined && rate !== 8000) {
      throw new UnsupportedSetting(param, "audio/pcm is 24000 Hz (16-bit little-endian mono); audio/pcmu and audio/pcma are 8000 Hz");
    }
  }
  if (input?.format !== undefined) next.inputFormat = input.format.type;
  if (patch.audio?.output?.format !== undefined) next.outputFormat = patch.audio.output.format.type;
  if (input?.transcription !== undefined) {
    next.transcriptionModel = input.transcription === null ? null : (input.transcription.model ?? config.transcriptionModel ?? "");
    next.transcriptionLanguage = input.transcription?.language;
  }
  if (input?.turn_detection !== undefined) {
    const detection = input.turn_detection;
    next.turnDetection =
      detection === null
        ? null
        : {
            // semantic_vad is served by the same Silero VAD (no semantic model here).
            threshold: detection.threshold ?? defaultTurnDetection.threshold,
            prefixPaddingMs: detection.prefix_padding_ms ?? defaultTurnDetection.prefixPaddingMs,
            silenceDurationMs: detection.silence_duration_ms ?? defaultTurnDetection.silenceDurationMs,
            createResponse: detection.create_response ?? true,
            interruptResponse: detection.interrupt_response ?? true,
          };
  }
  const voice = patch.audio?.output?.voice;
  if (voice !== undefined) next.voice = typeof voice === "string" ? voice : voice.id;
  if (patch.audio?.output?.speed !== undefined) next.speed = patch.audio.output.speed;
  if (patch.tools !== undefined) {
    if (patch.tools.some((tool) => tool.type === "mcp"))
      throw new UnsupportedSetting(
        "session.tools",
        "Remote MCP tools are configured on the server (mcp.servers); declare client tools as type 'function'",
      );
    next.tools = patch.tools as FunctionTool[];
  }
  if (patch.tool_choice !== undefined) {
    const choice = patch.tool_choice;
    next.toolChoice =
      typeof choice === "string" ? choice : "name" in choice && typeof choice.name === "string" ? { name: choice.name } : "auto";
  }
  if (patch.max_output_tokens !== undefined) next.maxOutputTokens = patch.max_output_tokens;
  if (patch.temperature !== undefined) next.temperature = patch.temperature;
  return next;
}

export class UnsupportedSetting extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
  }
}

/** The session object of session.created / session.updated, in OpenAI's GA shape. */
export function describeSession(id: string, config: OpenAiSessionConfig): Record<string, unknown> {
  const detection = config.turnDetection;
  return {
    type: "realtime",
    object: "realtime.session",
    id,
    model: config.model,
    output_modalities: config.outputModalities,
    instructions: config.instructions,
    tools: config.tools,
    tool_choice: typeof config.toolChoice === "string" ? config.toolChoice : { type: "function", name: config.toolChoice.name },
    max_output_tokens: config.maxOutputTokens,
    tracing: null,
    prompt: null,
    expires_at: 0,
    include: null,
    audio: {
      input: {
        format: describeFormat(config.inputFormat),
        transcription:
          config.transcriptionModel === null
            ? null
            : {
                model: config.transcriptionModel,
                ...(config.transcriptionLanguage === undefined ? {} : { language: config.transcriptionLanguage }),
              },
        noise_reduction: null,
        turn_detection:
          detection === null
            ? null
            : {
                type: "server_vad",
                threshold: detection.threshold,
                prefix_padding_ms: detection.prefixPaddingMs,
                silence_duration_ms: detection.silenceDurationMs,
                create_response: detection.createResponse,
                interrupt_response: detection.interruptResponse,
                idle_timeout_ms: null,
              },
      },
      output: { format: describeFormat(config.outputFormat), voice: config.voice, speed: config.speed },
    },
  };
}
