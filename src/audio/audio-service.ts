import type {
  AudioInput,
  SpeechFormat,
  TimestampGranularity,
  TranscriptionResult,
  TranscriptionStreamPart,
} from "../providers/spec/index.ts";
import type { AudioDecoder } from "./create-audio-decoder.ts";

export interface TranscribeInput {
  /** A model id, route or bare name; absent: defaults.transcriptionModel, else the first model that can transcribe. */
  model?: string | undefined;
  /** A client's file (decoded and validated here), or audio already decoded (realtime). */
  file?: { data: Uint8Array; fileName?: string | undefined };
  audio?: AudioInput;
  task: "transcribe" | "translate";
  language?: string | undefined;
  prompt?: string | undefined;
  temperature?: number | undefined;
  timestamps?: TimestampGranularity[] | undefined;
  signal?: AbortSignal | undefined;
}

export interface SpeakInput {
  model?: string | undefined;
  input: string;
  voice?: string | undefined;
  format: SpeechFormat;
  speed?: number | undefined;
  instructions?: string | undefined;
  signal?: AbortSignal | undefined;
}

/** Speech to text and text to speech over every provider's speech models (surface-neutral). */
export interface AudioService {
  readonly decoder: AudioDecoder;
  transcribe(input: TranscribeInput): Promise<{ model: string; audio: AudioInput; result: TranscriptionResult }>;
  /**
   * The transcript as the model makes it; resolves once its first part is there (a bad file, a
   * model that cannot stream or a failure before the first part rejects, so the caller can still
   * answer with an error status).
   */
  transcribeStream(input: TranscribeInput): Promise<{ model: string; audio: AudioInput; parts: AsyncIterable<TranscriptionStreamPart> }>;
  /** Resolves when audio starts to flow, in the format asked for; errors before the first byte reject. */
  speak(input: SpeakInput): Promise<{ model: string; contentType: string; chunks: AsyncIterable<Uint8Array> }>;
  /** The model a call without one would use, if any. */
  defaultModel(kind: "transcribe" | "translate" | "speak"): string | undefined;
}
