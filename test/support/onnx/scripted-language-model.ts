import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { OnnxGraph } from "./onnx-graph.ts";
import { attend, feedForward, layerNorm, toHeads } from "./transformer-blocks.ts";

/**
 * The text side of the tiny image-text-to-text models (SmolVLM, moondream2, Qwen2-VL) in the
 * layout of their transformers.js ONNX exports: `embed_tokens` (input_ids → inputs_embeds) and a
 * merged decoder with a key/value cache. Channel `width - 2` of every token embedding carries
 * "token id + 1" (image features carry 0 there), and the decoder's logits follow a fixed
 * next-token table read from the last input position's channel, so a prompt ending in
 * `promptEnd` is answered with `answer` (then `end`), whatever the random weights compute.
 */
export interface ScriptedLanguageModelOptions {
  vocabulary: number;
  width: number;
  heads: number;
  layers: number;
  promptEnd: number;
  answer: number[];
  end: number;
  /** The decoder's position_ids input: [batch, sequence] (llama, phi), [3, batch, sequence] (Qwen2-VL's M-RoPE), or none. */
  positionIds: "2d" | "3d" | "none";
  /**
   * The answer starts only when the prompt's embeddings include image features (channel
   * `imageFlagChannel` at 1, which no token embedding has): a prompt the image was not merged
   * into is answered with noise, so a test sees that the merge happened.
   */
  requireImage?: boolean;
}

export const markerChannel = (width: number) => width - 2;
/** Channel that image features set to 1 and token embeddings leave at 0. */
export const imageFlagChannel = (width: number) => width - 1;

export function scriptedEmbedTokens(vocabulary: number, width: number): Uint8Array {
  const graph = new OnnxGraph("embed_tokens", 53);
  const table = new Float32Array(vocabulary * width);
  let state = 4242;
  for (let index = 0; index < table.length; index++) {
    state = (state * 1103515245 + 12345) >>> 0;
    table[index] = (state / 4294967296 - 0.5) * 0.2;
  }
  for (let id = 0; id < vocabulary; id++) {
    table[id * width + markerChannel(width)] = id + 1;
    table[id * width + imageFlagChannel(width)] = 0;
  }
  const ids = graph.input("input_ids", "int64", ["batch_size", "sequence_length"]);
  graph.output(graph.node("Gather", [graph.floats([vocabulary, width], table), ids], { axis: 0 }), "inputs_embeds", "float", [
    "batch_size",
    "sequence_length",
    width,
  ]);
  return graph.toBytes();
}

/** inputs_embeds, attention_mask, [position_ids], past_key_values.N.key/value → logits, present.N.key/value. */
export function scriptedDecoder(options: ScriptedLanguageModelOptions): Uint8Array {
  const { vocabulary, width, heads, layers } = options;
  const headWidth = width / heads;
  const graph = new OnnxGraph("decoder_model_merged", 57);
  const embeds = graph.input("inputs_embeds", "float", ["batch_size", "sequence_length", width]);
  const mask = graph.input("attention_mask", "int64", ["batch_size", "total_sequence_length"]);
  // Consumed so the graph declares them as exporters do: both scale nothing (× 1).
  let consumed = graph.node("ReduceMax", [mask], { keepdims: 0 });
  if (options.positionIds !== "none") {
    const shape = options.positionIds === "3d" ? [3, "batch_size", "sequence_length"] : ["batch_size", "sequence_length"];
    const positions = graph.input("position_ids", "int64", shape);
    consumed = graph.node("Add", [consumed, graph.node("ReduceMax", [positions], { keepdims: 0 })]);
  }
  const one = graph.node("Cast", [graph.node("Greater", [consumed, graph.int64s([], [-1])])], { to: 1 });
  let hidden = graph.node("Mul", [embeds, one]);
  for (let layer = 0; layer < layers; layer++) {
    const pastKey = graph.input(`past_key_values.${layer}.key`, "float", ["batch_size", heads, "past_sequence_length", headWidth]);
    const pastValue = graph.input(`past_key_values.${layer}.value`, "float", ["batch_size", heads, "past_sequence_length", headWidth]);
    const normed = layerNorm(graph, hidden, width);
    const keys = graph.node("Concat", [pastKey, toHeads(graph, normed, width, heads)], { axis: 2 }, `present.${layer}.key`);
    const values = graph.node("Concat", [pastValue, toHeads(graph, normed, width, heads)], { axis: 2 }, `present.${layer}.value`);
    hidden = feedForward(graph, attend(graph, hidden, keys, values, width, heads), width, width * 2);
  }
  const last = graph.node("Sub", [
    graph.node("Gather", [graph.node("Shape", [embeds]), graph.int64s([], [1])], { axis: 0 }),
    graph.int64s([], [1]),
  ]);
  const lastInput = graph.node("Gather", [embeds, last], { axis: 1 });
  const marker = graph.node(
    "Cast",
    [graph.node("Round", [graph.node("Gather", [lastInput, graph.int64s([1], [markerChannel(width)])], { axis: 1 })])],
    { to: 7 },
  );
  const rows = vocabulary + 1;
  const table = new Float32Array(rows * vocabulary);
  const follow = (token: number, next: number) => {
    table[(token + 1) * vocabulary + next] = 50;
  };
  const sequence = [options.promptEnd, ...options.answer, options.end];
  for (let index = 0; index + 1 < sequence.length; index++) follow(sequence[index] ?? 0, sequence[index + 1] ?? 0);
  let scripted = graph.node(
    "Gather",
    [graph.floats([rows, vocabulary], table), graph.node("Min", [marker, graph.int64s([], [rows - 1])])],
    { axis: 0 },
  );
  if (options.requireImage === true) {
    // At the prompt's end the script applies only if image features are among the inputs.
    const flags = graph.node("Gather", [embeds, graph.int64s([], [imageFlagChannel(width)])], { axis: 2 });
    const image = graph.node(
      "Cast",
      [graph.node("Greater", [graph.node("ReduceMax", [flags], { keepdims: 0 }), graph.floats([], [0.5])])],
      {
        to: 1,
      },
    );
    const atPromptEnd = graph.node("Cast", [graph.node("Equal", [marker, graph.int64s([], [options.promptEnd + 1])])], { to: 1 });
    const one = graph.floats([], [1]);
    const keep = graph.node("Sub", [one, graph.node("Mul", [atPromptEnd, graph.node("Sub", [one, image])])]);
    scripted = graph.node("Mul", [scripted, graph.node("Unsqueeze", [keep, graph.int64s([1], [-1])])]);
  }
  const head = graph.node("MatMul", [layerNorm(graph, hidden, width), graph.weight([width, vocabulary], 0.1)]);
  graph.output(graph.node("Add", [head, scripted]), "logits", "float", ["batch_size", "sequence_length", vocabulary]);
  for (let layer = 0; layer < layers; layer++) {
    for (const kind of ["key", "value"]) {
      graph.output(`present.${layer}.${kind}`, `present.${layer}.${kind}`, "float", [
        "batch_size",
        heads,
        "total_sequence_length",
        headWidth,
      ]);
    }
  }
  return graph.toBytes();
}

/** What a tiny image-text model's writer hands back: its directory and the answer its decoder gives. */
export interface TinyImageTextModel {
  directory: string;
  text: string;
  tokens: number;
}

export const tinyImageTextModel = (directory: string, words: readonly string[]): TinyImageTextModel => ({
  directory,
  text: words.join(" "),
  tokens: words.length,
});

/**
 * The text half every tiny image-text model shares: `onnx/embed_tokens.onnx` and
 * `onnx/decoder_model_merged.onnx`, scripted to answer `words` (token ids from `firstWord` on),
 * or the token ids in `answer` when given (each id once: the script follows the last token).
 * Returns the vocabulary size, which the writer's config and tokenizer need.
 */
export function writeScriptedTextGraphs(
  directory: string,
  options: Omit<ScriptedLanguageModelOptions, "vocabulary" | "answer"> & {
    words: readonly string[];
    firstWord: number;
    answer?: readonly number[];
  },
): number {
  const { words, firstWord, answer: scripted, ...decoder } = options;
  const vocabulary = firstWord + words.length;
  const answer = scripted === undefined ? words.map((_, index) => firstWord + index) : [...scripted];
  if (new Set(answer).size !== answer.length) throw new Error("a scripted answer cannot repeat a token");
  mkdirSync(path.join(directory, "onnx"), { recursive: true });
  writeFileSync(path.join(directory, "onnx", "embed_tokens.onnx"), scriptedEmbedTokens(vocabulary, decoder.width));
  writeFileSync(path.join(directory, "onnx", "decoder_model_merged.onnx"), scriptedDecoder({ ...decoder, vocabulary, answer }));
  return vocabulary;
}
