/**
 * Speech model kinds: `transcribe` (audio → text, with language and timestamps) and `speak`
 * (text → audio, with a voice and a format). Types only.
 */

/** Audio as it reaches a transcription model: decoded and validated once by Station. */
export interface AudioInput {
  /** The file as the client sent it (adapters that forward to a server send these bytes). */
  data: Uint8Array;
  /** "audio/wav", "audio/mpeg", ... as sniffed from the bytes. */
  mediaType: string;
  fileName: string;
  /** Mono samples in [-1, 1] at `sampleRate` (16 kHz: what Whisper and Silero VAD read). */
  samples: Float32Array;
  sampleRate: number;
  durationSeconds: number;
}

export type TimestampGranularity = "segment" | "word";

export interface TranscriptionRequest {
  model: string;
  audio: AudioInput;
  /** "translate": English text from speech in any language (POST /v1/audio/translations). */
  task: "transcribe" | "translate";
  /** ISO-639-1 code of the spoken language, if the caller knows it. */
  language?: string;
  /** Text that guides spelling and style (previous segment, names). */
  prompt?: string;
  temperature?: number;
  /** Timestamps wanted; absent: none needed. */
  timestamps?: TimestampGranularity[];
  signal?: AbortSignal;
}

export interface TranscriptSegment {
  /** Seconds from the start of the audio. */
  start: number;
  end: number;
  text: string;
}

export interface TranscriptWord {
  word: string;
  start: number;
  end: number;
}

export interface TranscriptionResult {
  text: string;
  language?: string;
  durationSeconds?: number;
  segments?: TranscriptSegment[];
  words?: TranscriptWord[];
}

/** Log probability of one token of a transcript (OpenAI's `include[]=logprobs`; relayed from servers that send them). */
export interface TranscriptLogprob {
  token?: string;
  bytes?: number[];
  logprob?: number;
}

/** Token usage of a streamed transcript, as OpenAI reports it for models billed by token. */
export interface TranscriptionTokenUsage {
  type: "tokens";
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
  input_token_details?: { audio_tokens?: number; text_tokens?: number };
}

/** A transcript as it is made: text pieces in order (joined, they are the text), then the whole result. */
export type TranscriptionStreamPart =
  | { type: "text-delta"; delta: string; logprobs?: TranscriptLogprob[] }
  | { type: "finish"; result: TranscriptionResult; usage?: TranscriptionTokenUsage };

export interface TranscriptionModel {
  readonly id: string;
  transcribe(request: TranscriptionRequest): Promise<TranscriptionResult>;
  /**
   * The transcript as the engine produces it, ending with one `finish` part. Absent: the model
   * cannot stream (Station answers 400 to `stream: true`). Failures before the first part throw
   * from the first `next()`.
   */
  transcribeStream?(request: TranscriptionRequest): AsyncIterable<TranscriptionStreamPart>;
}

/** OpenAI's output formats for /v1/audio/speech; "pcm" is 16-bit little-endian mono. */
export type SpeechFormat = "mp3" | "wav" | "pcm" | "opus" | "flac" | "aac";

export interface SpeechRequest {
  model: string;
  input: string;
  voice?: string;
  /** The format the caller wants; a model may answer another (see `SpeechAudio.format`). */
  format: SpeechFormat;
  /** 0.25 .. 4, 1 = normal. */
  speed?: number;
  /** Style instructions (OpenAI's gpt-4o-mini-tts). */
  instructions?: string;
  signal?: AbortSignal;
}

/**
 * Spoken audio as it streams out of a model: in the format asked for when the model can make it
 * (servers), else raw PCM that Station encodes (local engines answer "pcm" at their own rate).
 */
export interface SpeechAudio {
  format: SpeechFormat;
  /** Samples per second of "pcm" (OpenAI's pcm is 24 kHz); informative for the other formats. */
  sampleRate: number;
  chunks: AsyncIterable<Uint8Array>;
}

export interface SpeechModel {
  readonly id: string;
  /** Resolves once audio starts to flow (the first chunk is on its way); failures before that reject. */
  speak(request: SpeechRequest): Promise<SpeechAudio>;
}
