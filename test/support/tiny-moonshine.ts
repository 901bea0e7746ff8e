import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { jsonFileWriter } from "./json-file-writer.ts";
import { OnnxGraph } from "./onnx/onnx-graph.ts";
import { attend, feedForward, layerNorm, toHeads } from "./onnx/transformer-blocks.ts";
import { byteTokens, tokenizer } from "./tiny-florence2.ts";

/**
 * Writes a random-weight Moonshine speech-to-text model in the layout of the onnx-community
 * exports transformers.js loads (config.json, generation_config.json, preprocessor_config.json,
 * tokenizer files, onnx/encoder_model.onnx and onnx/decoder_model_merged.onnx with their input
 * and output names, including the merged decoder's KV cache and use_cache_branch), so the real
 * loading, feature extraction and generation loop run on it offline.
 *
 * The weights are random; to make output checkable the language head adds a fixed script to the
 * logits by decoder position (as the tiny Florence-2 does): greedy decoding emits `text`, then
 * </s>, whatever it hears. The encoder still reads every sample (a strided convolution), so its
 * cost grows with the audio like a real one's.
 */
export interface TinyMoonshineOptions {
  /** What greedy decoding emits, whatever it hears. */
  text?: string;
  width?: number;
  heads?: number;
  /** Encoder and decoder blocks each (default 1; the real Moonshine tiny has 6). */
  layers?: number;
  /** The feed-forward width (default 2 × width; the real tiny's is 1152 = 4 × 288). */
  intermediate?: number;
  /** Tokens in the vocabulary and language head (at least 1260; the real tiny's is 32768). */
  vocabulary?: number;
  /** "moonshine": the real encoder's three-convolution stem (~41.7 frames a second) instead of one 20 ms strided conv. */
  stem?: "strided" | "moonshine";
}

export function writeTinyMoonshine(directory: string, options: TinyMoonshineOptions = {}): { directory: string; parameters: number } {
  const width = options.width ?? 16;
  const heads = options.heads ?? 2;
  const layers = options.layers ?? 1;
  const headWidth = width / heads;
  const hidden = options.intermediate ?? width * 2;
  // Byte tokens start at 4 and the tiny Florence-2's tokenizer adds 1000 location tokens after them.
  const vocabulary = Math.max(4 + 256 + 1000, options.vocabulary ?? 0);
  const script = [...byteTokens(options.text ?? "hello station"), 2];
  mkdirSync(path.join(directory, "onnx"), { recursive: true });
  const write = jsonFileWriter(directory);

  // encoder_model: input_values [B, T] → last_hidden_state [B, frames, D]: a 20 ms strided conv (or
  // Moonshine's own stem, three convolutions of strides 64, 3 and 2; ReLU for its GELU, which needs opset 20), then `layers` blocks.
  const encoder = new OnnxGraph("encoder_model", 31);
  const samples = encoder.input("input_values", "float", ["batch_size", "num_samples"]);
  const wave = encoder.node("Unsqueeze", [samples, encoder.int64s([1], [1])]);
  const conv = (input: string, channelsIn: number, channelsOut: number, kernel: number, stride: number) =>
    encoder.node("Conv", [input, encoder.weight([channelsOut, channelsIn, kernel])], { kernel_shape: [kernel], strides: [stride] });
  const framed =
    options.stem === "moonshine"
      ? encoder.node("Relu", [
          conv(
            encoder.node("Relu", [conv(encoder.node("Tanh", [conv(wave, 1, width, 127, 64)]), width, 2 * width, 7, 3)]),
            2 * width,
            width,
            3,
            2,
          ),
        ])
      : conv(wave, 1, width, 320, 320);
  let state = encoder.node("Transpose", [framed], { perm: [0, 2, 1] });
  for (let layer = 0; layer < layers; layer++) {
    if (layers > 1) {
      const normed = layerNorm(encoder, state, width);
      state = attend(encoder, state, toHeads(encoder, normed, width, heads), toHeads(encoder, normed, width, heads), width, heads);
    }
    state = feedForward(encoder, state, width, hidden);
  }
  encoder.output(layerNorm(encoder, state, width), "last_hidden_state", "float", ["batch_size", "encoder_sequence_length", width]);
  writeFileSync(path.join(directory, "onnx", "encoder_model.onnx"), encoder.toBytes());

  // decoder_model_merged: token embedding, self-attention over the growing cache, cross-attention
  // whose keys/values come from the encoder on the first step and from the cache afterwards.
  const graph = new OnnxGraph("decoder_model_merged", 37);
  const ids = graph.input("input_ids", "int64", ["batch_size", "decoder_sequence_length"]);
  const encoderStates = graph.input("encoder_hidden_states", "float", ["batch_size", "encoder_sequence_length", width]);
  const useCache = graph.input("use_cache_branch", "bool", [1]);
  const crossDims = ["batch_size", heads, "encoder_sequence_length_out", headWidth];
  let hiddenState = graph.node("Gather", [graph.weight([vocabulary, width], 1), ids], { axis: 0 });
  for (let layer = 0; layer < layers; layer++) {
    const cache = (kind: string, length: string) =>
      graph.input(`past_key_values.${layer}.${kind}`, "float", ["batch_size", heads, length, headWidth]);
    const pastKey = cache("decoder.key", "past_decoder_sequence_length");
    const pastValue = cache("decoder.value", "past_decoder_sequence_length");
    const pastEncoderKey = cache("encoder.key", "encoder_sequence_length_out");
    const pastEncoderValue = cache("encoder.value", "encoder_sequence_length_out");
    const fromCache = graph.branch(`use_cache_${layer}`);
    const fromEncoder = graph.branch(`compute_cross_attention_${layer}`);
    for (const [kind, pastName] of [
      ["key", pastEncoderKey],
      ["value", pastEncoderValue],
    ] as const) {
      fromCache.output(fromCache.node("Identity", [pastName]), `present.${layer}.encoder.${kind}_cached`, "float", crossDims);
      fromEncoder.output(
        toHeads(fromEncoder, encoderStates, width, heads),
        `present.${layer}.encoder.${kind}_computed`,
        "float",
        crossDims,
      );
    }
    graph.nodeWithOutputs("If", [useCache], [`present.${layer}.encoder.key`, `present.${layer}.encoder.value`], {
      then_branch: { graph: fromCache },
      else_branch: { graph: fromEncoder },
    });
    const normed = layerNorm(graph, hiddenState, width);
    const key = graph.node("Concat", [pastKey, toHeads(graph, normed, width, heads)], { axis: 2 }, `present.${layer}.decoder.key`);
    const value = graph.node("Concat", [pastValue, toHeads(graph, normed, width, heads)], { axis: 2 }, `present.${layer}.decoder.value`);
    hiddenState = attend(graph, hiddenState, key, value, width, heads);
    hiddenState = attend(graph, hiddenState, `present.${layer}.encoder.key`, `present.${layer}.encoder.value`, width, heads);
    hiddenState = feedForward(graph, hiddenState, width, hidden);
  }
  const head = graph.node("MatMul", [layerNorm(graph, hiddenState, width), graph.weight([width, vocabulary])]);
  const table = new Float32Array(script.length * vocabulary);
  script.forEach((token, position) => {
    table[position * vocabulary + token] = 50;
  });
  const length = graph.node("Gather", [graph.node("Shape", ["present.0.decoder.key"]), graph.int64s([], [2])], { axis: 0 });
  const position = graph.node("Min", [graph.node("Sub", [length, graph.int64s([], [1])]), graph.int64s([], [script.length - 1])]);
  const scripted = graph.node("Gather", [graph.floats([script.length, vocabulary], table), position], { axis: 0 });
  graph.output(graph.node("Add", [head, scripted]), "logits", "float", ["batch_size", "decoder_sequence_length", vocabulary]);
  for (let layer = 0; layer < layers; layer++) {
    for (const kind of ["decoder.key", "decoder.value"])
      graph.output(`present.${layer}.${kind}`, `present.${layer}.${kind}`, "float", [
        "batch_size",
        heads,
        "total_sequence_length",
        headWidth,
      ]);
    for (const kind of ["encoder.key", "encoder.value"])
      graph.output(`present.${layer}.${kind}`, `present.${layer}.${kind}`, "float", crossDims);
  }
  writeFileSync(path.join(directory, "onnx", "decoder_model_merged.onnx"), graph.toBytes());

  write("config.json", {
    architectures: ["MoonshineForConditionalGeneration"],
    model_type: "moonshine",
    is_encoder_decoder: true,
    hidden_size: width,
    encoder_num_hidden_layers: layers,
    decoder_num_hidden_layers: layers,
    encoder_num_attention_heads: heads,
    decoder_num_attention_heads: heads,
    encoder_num_key_value_heads: heads,
    decoder_num_key_value_heads: heads,
    vocab_size: vocabulary,
    bos_token_id: 1,
    eos_token_id: 2,
    decoder_start_token_id: 1,
    pad_token_id: 2,
  });
  write("generation_config.json", { bos_token_id: 1, decoder_start_token_id: 1, eos_token_id: 2, pad_token_id: 2 });
  write("preprocessor_config.json", {
    feature_extractor_type: "MoonshineFeatureExtractor",
    processor_class: "MoonshineProcessor",
    sampling_rate: 16_000,
    feature_size: 1,
    padding_value: 0,
    do_normalize: false,
    return_attention_mask: false,
  });
  write("tokenizer_config.json", {
    tokenizer_class: "PreTrainedTokenizerFast",
    model_max_length: 1024,
    bos_token: "<pad>",
    eos_token: "</s>",
    pad_token: "</s>",
    unk_token: "<unk>",
  });
  write("tokenizer.json", tokenizer(vocabulary));
  return { directory, parameters: encoder.parameterCount() + graph.parameterCount() };
}
