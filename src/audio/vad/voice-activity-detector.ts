/** Server VAD settings, OpenAI's `turn_detection: {type: "server_vad"}` fields. */
export interface VadSettings {
  /** Speech probability above which a frame is speech (0..1). */
  threshold: number;
  /** Audio kept from before speech started. */
  prefixPaddingMs: number;
  /** Silence that ends a turn. */
  silenceDurationMs: number;
}

export interface VadEvents {
  /** Speech began `atMs` after the first sample pushed (since the last reset). */
  onSpeechStart(atMs: number): void;
  /** Speech ended; `audio` is the turn's speech (16 kHz mono, with the prefix padding). */
  onSpeechEnd(atMs: number, audio: Float32Array): void;
  /** A start that turned out too short to be speech (a click, a cough). */
  onMisfire?(): void;
}

/** A streaming voice-activity detector over 16 kHz mono audio. */
export interface VoiceActivityDetector {
  push(samples: Float32Array): Promise<void>;
  /** Forgets the audio so far (input_audio_buffer.clear, or a committed turn). */
  reset(): void;
  close(): Promise<void>;
}

export type VadFactory = (settings: VadSettings, events: VadEvents) => Promise<VoiceActivityDetector>;
