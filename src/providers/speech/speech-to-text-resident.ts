import type { Resident } from "../residency/model-residency.ts";
import type { TranscriptSegment } from "../spec/index.ts";

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
}

export interface SpeechToTextOutput {
  text: string;
  /** ISO-639-1 code of the language spoken (given, or detected). */
  language: string;
  segments?: TranscriptSegment[];
}

export interface SpeechToTextResident extends Resident {
  /** One at a time per model: ONNX Runtime already uses every thread. */
  transcribe(task: SpeechToTextTask, signal?: AbortSignal): Promise<SpeechToTextOutput>;
}
