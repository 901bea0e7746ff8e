import {
  AutoFeatureExtractor,
  type FeatureExtractor,
  Tensor,
  WhisperForConditionalGeneration,
  WhisperTextStreamer,
  type WhisperTokenizer,
} from "@huggingface/transformers";
import type { TranscriptSegment, TranscriptWord } from "../spec/index.ts";
import { loadSpeechOnnx } from "./load-speech-onnx.ts";
import type { SpeechToTextResident } from "./speech-to-text-resident.ts";
import { TranscriptStreamer, trimmedTranscriptPieces } from "./transcript-streamer.ts";
import { readWhisperGenerationConfig, whisperTranslates } from "./whisper-generation-config.ts";
import { wordTimestampsPossible } from "./whisper-word-timestamps.ts";
import { type AsrWordChunk, wordsOfWindow } from "./words-of-window.ts";

const sampleRate = 16_000;
const windowSeconds = 30;
/** Samples per log-mel frame (WhisperFeatureExtractor's hop); the encoder halves the 3000 frames of a window to 1500. */
const hopLength = 160;
const melFrames = 3000;
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
 *
 * Word timestamps (a decoder exported with `cross_attentions.<layer>` outputs and alignment heads
 * in generation_config.json) are transformers.js' own: `return_token_timestamps` makes generate()
 * keep every step's cross-attentions and align the tokens to the audio by DTW over the alignment
 * heads (`_extract_token_timestamps`), and the tokenizer's `_decode_asr` collates tokens into
 * words. One correction: the seek loop hands the DTW the whole padded window (1500 encoder frames,
 * 30 s), so times can fall in the padding past a short clip's end; the attention is cropped to the
 * frames of the window's audio instead (what `num_frames` is for, as Python transformers' pipeline
 * passes it).
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
  const decoderOutputs: readonly string[] = model.sessions.decoder_model_merged?.outputNames ?? [];
  const wordTimestamps = wordTimestampsPossible(generation, decoderOutputs);
  /** Encoder frames of padding at the end of the window being decoded (none in a full 30 s window). */
  let paddingFrames = 0;
  const aligner = model as unknown as Pick<WhisperForConditionalGeneration, "_extract_token_timestamps">;
  const extractTokenTimestamps = aligner._extract_token_timestamps.bind(model);
  aligner._extract_token_timestamps = (outputs, heads, frames, precision, inputIds) =>
    extractTokenTimestamps(outputs, heads, frames === undefined ? frames : Math.max(1, frames - paddingFrames), precision, inputIds);
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
    transcribe: ({ samples, task, language, prompt, timestamps, words = false }, signal, onText) =>
      oneAtATime(async () => {
        if (!multilingual && task === "translate") throw new Error("this English-only Whisper cannot translate");
        if (words && !wordTimestamps)
          throw new Error("this Whisper's decoder returns no cross-attentions for its alignment heads: it cannot give word timestamps");
        // Word timestamps ride on Whisper's timestamp tokens (as the ASR pipeline's return_timestamps: 'word').
        const timestampTokens = timestamps || words;
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
        if (!timestampTokens) prefix.push(generation.no_timestamps_token_id);

        let text = "";
        const segments: TranscriptSegment[] = [];
        const spokenWords: TranscriptWord[] = [];
        // Timestamp tokens are not text: WhisperTextStreamer leaves them out of the pieces.
        const pieces = onText === undefined ? undefined : trimmedTranscriptPieces(onText);
        for (const [index, piece] of windows.entries()) {
          signal?.throwIfAborted();
          const features = index === 0 ? firstFeatures : await featuresOf(piece);
          const textStreamer =
            pieces === undefined ? undefined : new WhisperTextStreamer(whisper, { skip_prompt: true, callback_function: pieces });
          paddingFrames = Math.floor((melFrames - Math.min(melFrames, Math.ceil(piece.length / hopLength))) / 2);
          const output = (await model.generate({
            inputs: features,
            decoder_input_ids: prefix,
            return_timestamps: timestampTokens,
            return_token_timestamps: words,
            streamer: new TranscriptStreamer(signal, textStreamer).forGenerate(),
          } as Parameters<typeof model.generate>[0])) as Tensor | { sequences: Tensor; token_timestamps: Tensor };
          const sequences = "sequences" in output ? output.sequences : output;
          const tokens = ((sequences.tolist() as bigint[][])[0] ?? []).slice(prefix.length);
          const stride = [piece.length / sampleRate, 0, 0];
          const [said, optional] = whisper._decode_asr([{ tokens, stride }], {
            time_precision: windowSeconds / 1500,
            return_timestamps: timestampTokens,
            force_full_sequences: false,
          }) as [string, { chunks?: { timestamp: (number | null)[]; text: string }[] }];
          text += said;
          const start = index * windowSeconds;
          if ("token_timestamps" in output) {
            // The pipeline's rounding of the DTW times (to Whisper's 0.02 s), then its word collation.
            const tokenTimes = ((output.token_timestamps.tolist() as number[][])[0] ?? [])
              .slice(prefix.length)
              .map((seconds) => Math.round(seconds * 100) / 100);
            const [, collated] = whisper._decode_asr([{ tokens, token_timestamps: tokenTimes, stride }], {
              time_precision: windowSeconds / 1500,
              return_timestamps: "word",
              force_full_sequences: false,
            }) as [string, { chunks?: AsrWordChunk[] }];
            spokenWords.push(...wordsOfWindow(collated.chunks ?? [], start, piece.length / sampleRate, spokenWords.at(-1)?.start));
          }
          for (const chunk of optional.chunks ?? [])
            segments.push({
              start: start + (chunk.timestamp[0] ?? 0),
              end: start + (chunk.timestamp[1] ?? piece.length / sampleRate),
              text: chunk.text,
            });
        }
        return { text, language: spoken, ...(timestamps ? { segments } : {}), ...(words ? { words: spokenWords } : {}) };
      }, signal),
    async dispose() {
      await model.dispose();
    },
  };
}
