import { type Tensor, VitsModel } from "@huggingface/transformers";
import type { Resident } from "../residency/model-residency.ts";
import { loadSpeechOnnx } from "./load-speech-onnx.ts";

export interface TextToSpeechResident extends Resident {
  readonly sampleRate: number;
  /** Text → mono float samples at `sampleRate` (one at a time per model). */
  synthesize(text: string, signal?: AbortSignal): Promise<Float32Array>;
}

/**
 * Loads a VITS model (MMS-TTS and Piper-style exports: one graph, input_ids → waveform) with
 * transformers.js. VITS over SpeechT5: one ONNX graph instead of three plus speaker embeddings
 * and a vocoder, non-autoregressive (one run per sentence), and MMS covers 1100+ languages.
 */
export async function loadVits(directory: string, sizeBytes: number, threads: number): Promise<TextToSpeechResident> {
  const { model, tokenizer, oneAtATime } = await loadSpeechOnnx(VitsModel, directory, threads);
  const sampleRate = (model.config as { sampling_rate?: number }).sampling_rate ?? 16_000;
  return {
    sizeBytes,
    sampleRate,
    synthesize: (text, signal) =>
      oneAtATime(async () => {
        const output = (await model(tokenizer(text))) as { waveform: Tensor };
        return output.waveform.data as Float32Array;
      }, signal),
    async dispose() {
      await model.dispose();
    },
  };
}
