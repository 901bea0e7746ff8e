import { AutoTokenizer, env, type Tensor, VitsModel } from "@huggingface/transformers";
import type { Resident } from "../residency/model-residency.ts";

env.allowRemoteModels = false;

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
  const model = await VitsModel.from_pretrained(directory, {
    dtype: "fp32",
    device: "cpu",
    local_files_only: true,
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
  });
  let tokenizer: Awaited<ReturnType<typeof AutoTokenizer.from_pretrained>>;
  try {
    tokenizer = await AutoTokenizer.from_pretrained(directory, { local_files_only: true });
  } catch (error) {
    await model.dispose();
    throw error;
  }
  const sampleRate = (model.config as { sampling_rate?: number }).sampling_rate ?? 16_000;
  let queue: Promise<unknown> = Promise.resolve();
  return {
    sizeBytes,
    sampleRate,
    synthesize(text, signal) {
      const run = queue.then(async () => {
        signal?.throwIfAborted();
        const output = (await model(tokenizer(text))) as { waveform: Tensor };
        return output.waveform.data as Float32Array;
      });
      queue = run.catch(() => {});
      return run;
    },
    async dispose() {
      await model.dispose();
    },
  };
}
