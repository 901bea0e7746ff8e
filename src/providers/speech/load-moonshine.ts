import { MoonshineForConditionalGeneration, Tensor } from "@huggingface/transformers";
import type { Resident } from "../residency/model-residency.ts";
import { loadSpeechOnnx } from "./load-speech-onnx.ts";

export interface SpeechToTextResident extends Resident {
  /** 16 kHz mono samples → text (one at a time per model: ONNX Runtime already uses every thread). */
  transcribe(samples: Float32Array, signal?: AbortSignal): Promise<string>;
}

/**
 * Loads a Moonshine model (encoder_model + decoder_model_merged, tokenizer) with transformers.js
 * and transcribes greedily. Moonshine reads raw 16 kHz audio (no spectrogram) and its encoder
 * cost scales with the audio's length instead of Whisper's fixed 30 s window, which is why it is
 * the local engine for short realtime turns.
 */
export async function loadMoonshine(directory: string, sizeBytes: number, threads: number): Promise<SpeechToTextResident> {
  const { model, tokenizer, oneAtATime } = await loadSpeechOnnx(MoonshineForConditionalGeneration, directory, threads);
  return {
    sizeBytes,
    transcribe: (samples, signal) =>
      oneAtATime(async () => {
        // The paper's heuristic: at most ~6 tokens per second of audio (stops runaway repetition).
        const maxNewTokens = Math.max(16, Math.ceil((samples.length / 16_000) * 6) + 8);
        const output = await model.generate({
          input_values: new Tensor("float32", samples, [1, samples.length]),
          max_new_tokens: maxNewTokens,
        });
        return tokenizer.batch_decode(output as Tensor, { skip_special_tokens: true })[0] ?? "";
      }, signal),
    async dispose() {
      await model.dispose();
    },
  };
}
