import { MoonshineForConditionalGeneration, Tensor, TextStreamer } from "@huggingface/transformers";
import { loadSpeechOnnx } from "./load-speech-onnx.ts";
import type { SpeechToTextResident } from "./speech-to-text-resident.ts";
import { TranscriptStreamer, trimmedTranscriptPieces } from "./transcript-streamer.ts";

/**
 * Loads a Moonshine model (encoder_model + decoder_model_merged, tokenizer) with transformers.js
 * and transcribes greedily. Moonshine reads raw 16 kHz audio (no spectrogram) and its encoder
 * cost scales with the audio's length instead of Whisper's fixed 30 s window, which is why it is
 * the local engine for short realtime turns. English only, no timestamps: the transcript is one
 * segment.
 */
export async function loadMoonshine(directory: string, sizeBytes: number, threads: number): Promise<SpeechToTextResident> {
  const { model, tokenizer, oneAtATime } = await loadSpeechOnnx(MoonshineForConditionalGeneration, directory, threads);
  return {
    sizeBytes,
    transcribe: ({ samples }, signal, onText) =>
      oneAtATime(async () => {
        // The paper's heuristic: at most ~6 tokens per second of audio (stops runaway repetition).
        const maxNewTokens = Math.max(16, Math.ceil((samples.length / 16_000) * 6) + 8);
        const output = await model.generate({
          input_values: new Tensor("float32", samples, [1, samples.length]),
          max_new_tokens: maxNewTokens,
          streamer: new TranscriptStreamer(
            signal,
            onText === undefined
              ? undefined
              : new TextStreamer(tokenizer, {
                  skip_prompt: true,
                  skip_special_tokens: true,
                  callback_function: trimmedTranscriptPieces(onText),
                }),
          ).forGenerate(),
        });
        return { text: tokenizer.batch_decode(output as Tensor, { skip_special_tokens: true })[0] ?? "", language: "en" };
      }, signal),
    async dispose() {
      await model.dispose();
    },
  };
}
