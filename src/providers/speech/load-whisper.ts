import {
  AutoFeatureExtractor,
  type FeatureExtractor,
  Tensor,
  WhisperForConditionalGeneration,
  WhisperTextStreamer,
  type WhisperTokenizer,
} from "@huggingface/transformers";
import type { TranscriptSegment } from "../spec/index.ts";
import { loadSpeechOnnx } from "./load-speech-onnx.ts";
import type { SpeechToTextResident } from "./speech-to-text-resident.ts";
import { TranscriptStreamer, trimmedTranscriptPieces } from "./transcript-streamer.ts";
import { readWhisperGenerationConfig, whisperTranslates } from "./whisper-generation-config.ts";

const sampleRate = 16_000;
const windowSeconds = 30;
/** Whisper's prompt holds at most half its 448 positions (the previous-context rule of openai/whisper). */
const maxPromptTokens = 223;

/**
 * Loads a Whisper model (encoder_model + decoder_model_merged, WhisperFeatureExtractor for the
 * log-mel spectrogram, WhisperTokenizer) with transformers.js. Each request builds Whisper's
 * prompt itself: `<|startofprev|>` and the caller's prompt, `<|startoftranscript|>`, the language
 * (given, or detected from one decoder step's language-token logits), the task, and
 * `<|notimestamps|>` unless segment timestamps are wanted. Audio longer than Whisper's 30 s
 * window is read window after window (within one, transformers.js re-seeks from the last complete
 * segment as openai/whisper does), timestamps offset by the window's start. Not the pipeline's
 * overlapping windows: its merge of the overlaps glues segments of the two windows together
 * whenever a window's last segment ends before its right overlap. Whisper over Moonshine when translation, other languages or
 * timestamps are needed; its encoder always reads a full 30 s window, so short turns cost more.
 */
export async function loadWhisper(directory: string, sizeBytes: number, threads: number): Promise<SpeechToTextResident> {
  const generation = await readWhisperGenerationConfig(directory);
  const { model, tokenizer, oneAtATime } = await loadSpeechOnnx(WhisperForConditionalGeneration, directory, threads);
  let extractor: FeatureExtractor;
  try {
    extractor = await AutoFeatureExtractor.from_pretrained(directory, { local_files_only: true });
  } catch (error) {
    await model.dispose();
    throw error;
  }
  const whisper = tokenizer as WhisperTokenizer;
  const multilingual = whisperTranslates(generation);
  const startOfPrevious = tokenizer.convert_tokens_to_ids("<|startofprev|>");
  const languageIds = new Map(
    Object.entries(generation.lang_to_id ?? {}).map(([token, id]) => [token.slice(2, -2), id] as [string, number]),
  );

  const featuresOf = async (samples: Float32Array): Promise<Tensor> =>
    ((await extractor(samples)) as { input_features: Tensor }).input_features;

  /**
   * The language token the decoder finds likeliest after <|startoftranscript|> (openai/whisper's
   * detect_language). Its encoder pass is not reused: generate() keeps only the model's forward
   * parameters of what it is given, so it would drop encoder_outputs and encode again anyway.
   */
  const detectLanguage = async (features: Tensor): Promise<string> => {
    const { logits } = (await model({
      input_features: features,
      decoder_input_ids: new Tensor("int64", BigInt64Array.from([BigInt(generation.decoder_start_token_id)]), [1, 1]),
    })) as { logits: Tensor };
    const scores = logits.data as Float32Array;
    let best: [string, number] = ["en", Number.NEGATIVE_INFINITY];
    for (const [code, id] of languageIds) if ((scores[id] ?? Number.NEGATIVE_INFINITY) > best[1]) best = [code, scores[id] ?? 0];
    return best[0];
  };

  return {
    sizeBytes,
    transcribe: ({ samples, task, language, prompt, timestamps }, signal, onText) =>
      oneAtATime(async () => {
        if (!multilingual && task === "translate") throw new Error("this English-only Whisper cannot translate");
        const window = windowSeconds * sampleRate;
        const windows: Float32Array[] = [];
        for (let offset = 0; offset === 0 || offset < samples.length; offset += window)
          windows.push(samples.subarray(offset, offset + window));
        const firstFeatures = await featuresOf(windows[0] ?? samples);
        const spoken = multilingual ? (language ?? (await detectLanguage(firstFeatures))) : "en";
        const prefix: number[] = [];
        if (prompt !== undefined && prompt.trim() !== "") {
          const promptIds = tokenizer.encode(` ${prompt.trim()}`, { add_special_tokens: false });
          prefix.push(startOfPrevious, ...promptIds.slice(-maxPromptTokens));
        }
        prefix.push(generation.decoder_start_token_id);
        if (multilingual) {
          const languageId = languageIds.get(spoken);
          if (languageId === undefined) throw new Error(`this Whisper has no language '${spoken}'`);
          prefix.push(languageId, generation.task_to_id?.[task] ?? 0);
        }
        if (!timestamps) prefix.push(generation.no_timestamps_token_id);

        let text = "";
        const segments: TranscriptSegment[] = [];
        // Timestamp tokens are not text: WhisperTextStreamer leaves them out of the pieces.
        const pieces = onText === undefined ? undefined : trimmedTranscriptPieces(onText);
        for (const [index, piece] of windows.entries()) {
          signal?.throwIfAborted();
          const features = index === 0 ? firstFeatures : await featuresOf(piece);
          const textStreamer =
            pieces === undefined ? undefined : new WhisperTextStreamer(whisper, { skip_prompt: true, callback_function: pieces });
          const output = (await model.generate({
            inputs: features,
            decoder_input_ids: prefix,
            return_timestamps: timestamps,
            streamer: new TranscriptStreamer(signal, textStreamer).forGenerate(),
          } as Parameters<typeof model.generate>[0])) as Tensor;
          const tokens = ((output.tolist() as bigint[][])[0] ?? []).slice(prefix.length);
          const [said, optional] = whisper._decode_asr([{ tokens, stride: [piece.length / sampleRate, 0, 0] }], {
            time_precision: windowSeconds / 1500,
            return_timestamps: timestamps,
            force_full_sequences: false,
          }) as [string, { chunks?: { timestamp: (number | null)[]; text: string }[] }];
          text += said;
          const start = index * windowSeconds;
          for (const chunk of optional.chunks ?? [])
            segments.push({
              start: start + (chunk.timestamp[0] ?? 0),
              end: start + (chunk.timestamp[1] ?? piece.length / sampleRate),
              text: chunk.text,
            });
        }
        return { text, language: spoken, ...(timestamps ? { segments } : {}) };
      }, signal),
    async dispose() {
      await model.dispose();
    },
  };
}
