import type { Resident } from "../residency/model-residency.ts";
import type { TranscriptSegment, TranscriptWord } from "../spec/index.ts";

/** One transcription for a local speech-to-text engine (copied into its worker thread with the message). */
export interface SpeechToTextTask {
  /** 16 kHz mono samples. */
  samples: Float32Array;
  /** "translate": English text from speech in another language (multilingual Whisper only). */
  task: "transcribe" | "translate";
  /** ISO-639-1 code of the spoken language; absent: the engine detects it (or assumes English). */
  language?: string;
  /** Text that guides spelling and style (Whisper's previous-context prompt). */
  prompt?: string;
  /** Segment timestamps wanted (Whisper's timestamp tokens). */
  timestamps: boolean;
  /** Word timestamps wanted (a Whisper with cross-attention outputs and alignment heads only). */
  words?: boolean;
}

export interface SpeechToTextOutput {
  text: string;
  /** ISO-639-1 code of the language spoken (given, or detected). */
  language: string;
  segments?: TranscriptSegment[];
  words?: TranscriptWord[];
}

export interface SpeechToTextResident extends Resident {
  /**
   * One at a time per model: ONNX Runtime already uses every thread. With `onText`, the
   * transcript's pieces as the decoder makes them (joined, the output's text without its leading
   * space); an abort stops the decoder at its next step.
   */
  transcribe(task: SpeechToTextTask, signal?: AbortSignal, onText?: (text: string) => void): Promise<SpeechToTextOutput>;
}
