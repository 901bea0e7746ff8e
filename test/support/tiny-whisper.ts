import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { byteCharacters, byteLevelTokenizer, specialToken } from "./byte-level-tokenizer.ts";
import { jsonFileWriter } from "./json-file-writer.ts";
import { crossAttentionDecoder } from "./onnx/cross-attention-decoder.ts";
import { OnnxGraph } from "./onnx/onnx-graph.ts";
import { attend, feedForward, layerNorm, toHeads } from "./onnx/transformer-blocks.ts";

/** Something the tiny Whisper says: text (words with their leading spaces) between two timestamps. */
export interface TinyWhisperSegment {
  text: string;
  /** Seconds, multiples of 0.02 (Whisper's timestamp tokens). */
  start: number;
  end: number;
}

export interface TinyWhisperOptions {
  /** What it says, whatever it hears: with timestamps segment by segment, without them the same words. */
  segments?: TinyWhisperSegment[];
  /** false: an English-only Whisper (whisper-tiny.en: no language or task tokens in its prompt). */
  multilingual?: boolean;
  /** Language codes it has tokens for (multilingual only). */
  languages?: string[];
  /** What language detection answers (multilingual only). */
  spokenLanguage?: string;
  /**
   * What it says instead when its prompt holds a token ("<|translate|>", "<|de|>", "<|startofprev|>"):
   * later cues win over earlier ones, so a test sees which tokens reached the decoder.
   */
  cues?: { token: string; segment: TinyWhisperSegment }[];
  /**
   * Never stops by itself: after the last segment it starts over (and generation_config allows
   * 100 000 tokens), so only an abort ends a transcription without a cue.
   */
  endless?: boolean;
  width?: number;
  heads?: number;
  /** Encoder and decoder blocks each (default 1; whisper-tiny has 4). */
  layers?: number;
  /** The feed-forward width (default 2 × width; whisper-tiny's is 1536 = 4 × 384). */
  intermediate?: number;
  /** Rows of the embedding and language head, at least what the tokenizer holds (whisper-tiny: 51865). */
  vocabulary?: number;
  /**
   * A word-timestamps export (onnx-community/whisper-*_timestamped): the decoder also outputs
   * every layer's cross-attention weights (`cross_attentions.<layer>`) and generation_config.json
   * names alignment heads (every head of the last layer). The weights are the random softmax plus
   * a scripted box: a segment's words split its span evenly, and each word token attends to the
   * encoder frames (0.02 s each) of its share, so DTW aligns the words inside their segments.
   */
  wordTimestamps?: boolean;
}

const timestampToken = (seconds: number) => `<|${seconds.toFixed(2)}|>`;

/**
 * Writes a random-weight Whisper in the layout of the onnx-community / Xenova exports
 * transformers.js loads (config.json, generation_config.json, preprocessor_config.json, a
 * WhisperTokenizer's files, onnx/encoder_model.onnx reading an 80-bin log-mel spectrogram of 3000
 * frames and onnx/decoder_model_merged.onnx with its KV cache), so the real feature extraction,
 * timestamp logits processor, generation loop and ASR decoding run on it offline.
 *
 * The weights are random; to make output checkable the language head adds a next-token table
 * keyed by the last input token (real Whisper's sequence: language detection answers
 * `spokenLanguage`; after the task token a timestamp, the words, the end timestamp, the next
 * segment's start, ..., <|endoftext|>), plus bonuses for cue tokens anywhere in the prompt. Every
 * word and timestamp may occur once in all the scripts (the table has one row per token).
 */
export function writeTinyWhisper(directory: string, options: TinyWhisperOptions = {}): { directory: string; parameters: number } {
  const width = options.width ?? 16;
  const heads = options.heads ?? 2;
  const layers = options.layers ?? 1;
  const hidden = options.intermediate ?? width * 2;
  const multilingual = options.multilingual ?? true;
  const languages = multilingual ? (options.languages ?? ["en", "de", "fr", "es"]) : [];
  const segments = options.segments ?? [
    { text: " Hello station.", start: 0, end: 1.2 },
    { text: " Second part.", start: 1.4, end: 2.4 },
  ];
  const cues = options.cues ?? [];
  const wordsOf = (text: string) => text.match(/ ?[^ ]+/g) ?? [];

  // Token ids as Whisper lays them out: text, <|endoftext|>, <|startoftranscript|>, languages, tasks, ..., timestamps.
  const vocab: Record<string, number> = {};
  byteCharacters().forEach((character, byte) => {
    vocab[character] = byte;
  });
  const characters = byteCharacters();
  const encodeWord = (word: string) => [...new TextEncoder().encode(word)].map((byte) => characters[byte]).join("");
  for (const segment of [...segments, ...cues.map((cue) => cue.segment)])
    for (const word of wordsOf(segment.text)) vocab[encodeWord(word)] ??= Object.keys(vocab).length;
  const specials = [
    "<|endoftext|>",
    "<|startoftranscript|>",
    ...languages.map((code) => `<|${code}|>`),
    "<|translate|>",
    "<|transcribe|>",
    "<|startoflm|>",
    "<|startofprev|>",
    "<|nospeech|>",
    "<|notimestamps|>",
  ];
  const textTokens = Object.keys(vocab).length;
  const added = specials.map((content, index) => specialToken(textTokens + index, content));
  for (let step = 0; step <= 1500; step++)
    added.push({ ...specialToken(textTokens + specials.length + step, timestampToken(step * 0.02)), special: false });
  for (const token of added) vocab[token.content] = token.id;
  const id = (token: string) => {
    const found = vocab[token];
    if (found === undefined) throw new Error(`the tiny Whisper has no token ${token}`);
    return found;
  };
  const vocabulary = Math.max(added.length + textTokens, options.vocabulary ?? 0);
  const endOfText = id("<|endoftext|>");

  // The next-token table: one row per token that leads somewhere, keyed by the last input token.
  const next = new Map<number, number>();
  const follow = (from: number, to: number) => {
    if (next.has(from)) throw new Error(`the tiny Whisper's scripts use token ${from} twice`);
    next.set(from, to);
  };
  const chain = (said: TinyWhisperSegment[]): number[] =>
    said.flatMap((segment) => [
      id(timestampToken(segment.start)),
      ...wordsOf(segment.text).map((word) => id(encodeWord(word))),
      id(timestampToken(segment.end)),
    ]);
  const script = (tokens: number[], then = endOfText) => {
    for (let index = 0; index + 1 < tokens.length; index++) follow(tokens[index] ?? 0, tokens[index + 1] ?? 0);
    follow(tokens.at(-1) ?? 0, then);
  };
  const main = chain(segments);
  // Endless: the last timestamp leads back to the first word.
  script(main, options.endless === true ? (main[1] ?? endOfText) : endOfText);
  // Without timestamps the words come straight after <|notimestamps|> (the timestamps still follow; decoding drops them).
  follow(id("<|notimestamps|>"), main[1] ?? endOfText);
  if (multilingual) {
    follow(id("<|startoftranscript|>"), id(`<|${options.spokenLanguage ?? "fr"}|>`));
    follow(id("<|transcribe|>"), main[0] ?? endOfText);
    follow(id("<|translate|>"), main[0] ?? endOfText);
  } else follow(id("<|startoftranscript|>"), main[0] ?? endOfText);
  // Where each word token attends (the alignment boxes), in encoder frames of 0.02 s.
  const attendsFrom = new Float32Array(vocabulary);
  const attendsTo = new Float32Array(vocabulary);
  for (const segment of [...segments, ...cues.map((cue) => cue.segment)]) {
    const words = wordsOf(segment.text);
    const share = (segment.end - segment.start) / Math.max(1, words.length);
    words.forEach((word, index) => {
      attendsFrom[id(encodeWord(word))] = Math.round((segment.start + index * share) / 0.02);
      attendsTo[id(encodeWord(word))] = Math.round((segment.start + (index + 1) * share) / 0.02);
    });
  }
  const cueChains = cues.map((cue) => {
    const tokens = chain([cue.segment]);
    script(tokens);
    return tokens;
  });

  mkdirSync(path.join(directory, "onnx"), { recursive: true });
  const write = jsonFileWriter(directory);

  // encoder_model: input_features [B, 80, 3000] → two convolutions (the second of stride 2), positions, `layers` blocks → [B, 1500, D].
  const encoder = new OnnxGraph("encoder_model", 41);
  const features = encoder.input("input_features", "float", ["batch_size", 80, 3000]);
  const conv = (input: string, channelsIn: number, stride: number) =>
    encoder.node("Relu", [
      encoder.node("Conv", [input, encoder.weight([width, channelsIn, 3])], { kernel_shape: [3], strides: [stride], pads: [1, 1] }),
    ]);
  let state = encoder.node("Add", [
    encoder.node("Transpose", [conv(conv(features, 80, 1), width, 2)], { perm: [0, 2, 1] }),
    encoder.weight([1500, width]),
  ]);
  for (let layer = 0; layer < layers; layer++) {
    const normed = layerNorm(encoder, state, width);
    state = attend(encoder, state, toHeads(encoder, normed, width, heads), toHeads(encoder, normed, width, heads), width, heads);
    state = feedForward(encoder, state, width, hidden);
  }
  encoder.output(layerNorm(encoder, state, width), "last_hidden_state", "float", ["batch_size", 1500, width]);
  writeFileSync(path.join(directory, "onnx", "encoder_model.onnx"), encoder.toBytes());

  const rowOf = new Array<number>(vocabulary).fill(0);
  const rows = [new Float32Array(vocabulary)];
  for (const [from, to] of next) {
    const row = new Float32Array(vocabulary);
    row[to] = 50;
    rowOf[from] = rows.length;
    rows.push(row);
  }
  const cueRowOf = new Array<number>(vocabulary).fill(0);
  const cueRows = [new Float32Array(vocabulary)];
  cues.forEach((cue, index) => {
    const row = new Float32Array(vocabulary);
    const [start, firstWord] = cueChains[index] ?? [];
    // The first word wins without timestamps; with them the timestamp logits processor masks text, and the start wins.
    row[firstWord ?? endOfText] = 100 + 10 * index;
    row[start ?? endOfText] = 95 + 10 * index;
    cueRowOf[id(cue.token)] = cueRows.length;
    cueRows.push(row);
  });
  const table = (values: Float32Array[]) => {
    const flat = new Float32Array(values.length * vocabulary);
    values.forEach((row, index) => {
      flat.set(row, index * vocabulary);
    });
    return flat;
  };
  const decoder = crossAttentionDecoder({
    width,
    heads,
    layers,
    hidden,
    vocabulary,
    seed: 43,
    crossAttentions: options.wordTimestamps === true,
    alignment(graph, ids) {
      // 1 where from[token] <= frame < to[token], else 0: [batch, sequence, 1500].
      const bound = (table: Float32Array) =>
        graph.node("Unsqueeze", [graph.node("Gather", [graph.floats([vocabulary], table), ids], { axis: 0 }), graph.int64s([1], [-1])]);
      const frames = graph.floats(
        [1500],
        Float32Array.from({ length: 1500 }, (_, frame) => frame),
      );
      const inside = graph.node("And", [
        graph.node("GreaterOrEqual", [frames, bound(attendsFrom)]),
        graph.node("Less", [frames, bound(attendsTo)]),
      ]);
      return graph.node("Cast", [inside], { to: 1 });
    },
    script(graph, ids) {
      const lookup = (rowIndex: number[], values: Float32Array[]) =>
        graph.node(
          "Gather",
          [
            graph.floats([values.length, vocabulary], table(values)),
            graph.node("Gather", [graph.int64s([vocabulary], rowIndex), ids], { axis: 0 }),
          ],
          {
            axis: 0,
          },
        );
      const cued = graph.node("ReduceSum", [lookup(cueRowOf, cueRows), graph.int64s([1], [1])], { keepdims: 1 });
      return graph.node("Add", [lookup(rowOf, rows), cued]);
    },
  });
  writeFileSync(path.join(directory, "onnx", "decoder_model_merged.onnx"), decoder.bytes);

  const noTimestamps = id("<|notimestamps|>");
  write("config.json", {
    architectures: ["WhisperForConditionalGeneration"],
    model_type: "whisper",
    is_encoder_decoder: true,
    d_model: width,
    encoder_layers: layers,
    decoder_layers: layers,
    encoder_attention_heads: heads,
    decoder_attention_heads: heads,
    encoder_ffn_dim: hidden,
    decoder_ffn_dim: hidden,
    num_mel_bins: 80,
    max_source_positions: 1500,
    max_target_positions: 448,
    vocab_size: vocabulary,
    bos_token_id: endOfText,
    eos_token_id: endOfText,
    pad_token_id: endOfText,
    decoder_start_token_id: id("<|startoftranscript|>"),
    median_filter_width: 7,
  });
  write("generation_config.json", {
    bos_token_id: endOfText,
    eos_token_id: endOfText,
    pad_token_id: endOfText,
    decoder_start_token_id: id("<|startoftranscript|>"),
    max_length: options.endless === true ? 100_000 : 448,
    no_timestamps_token_id: noTimestamps,
    max_initial_timestamp_index: 50,
    is_multilingual: multilingual,
    ...(options.wordTimestamps === true ? { alignment_heads: Array.from({ length: heads }, (_, head) => [layers - 1, head]) } : {}),
    ...(multilingual
      ? {
          lang_to_id: Object.fromEntries(languages.map((code) => [`<|${code}|>`, id(`<|${code}|>`)])),
          task_to_id: { transcribe: id("<|transcribe|>"), translate: id("<|translate|>") },
        }
      : {}),
  });
  write("preprocessor_config.json", {
    feature_extractor_type: "WhisperFeatureExtractor",
    processor_class: "WhisperProcessor",
    chunk_length: 30,
    feature_size: 80,
    hop_length: 160,
    n_fft: 400,
    n_samples: 480_000,
    nb_max_frames: 3000,
    padding_side: "right",
    padding_value: 0,
    return_attention_mask: false,
    sampling_rate: 16_000,
  });
  write("tokenizer_config.json", {
    tokenizer_class: "WhisperTokenizer",
    model_max_length: 1024,
    bos_token: "<|endoftext|>",
    eos_token: "<|endoftext|>",
    pad_token: "<|endoftext|>",
    unk_token: "<|endoftext|>",
    errors: "replace",
  });
  write("tokenizer.json", byteLevelTokenizer(vocab, added));
  return { directory, parameters: encoder.parameterCount() + decoder.parameters };
}
