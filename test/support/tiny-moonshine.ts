import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
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
export function writeTinyMoonshine(
  directory: string,
  options: { text?: string; width?: number; heads?: number } = {},
): { directory: string } {
  const width = options.width ?? 16;
  const heads = options.heads ?? 2;
  const headWidth = width / heads;
  const hidden = width * 2;
  // Byte tokens start at 4 and the tiny Florence-2's tokenizer adds 1000 location tokens after them.
  const vocabulary = 4 + 256 + 1000;
  const script = [...byteTokens(options.text ?? "hello station"), 2];
  mkdirSync(path.join(directory, "onnx"), { recursive: true });
  const write = (name: string, value: unknown) => writeFileSync(path.join(directory, name), JSON.stringify(value, null, 1));

  // encoder_model: input_values [B, T] → last_hidden_state [B, T/320, D] (a 20 ms strided conv, then a block).
  const encoder = new OnnxGraph("encoder_model", 31);
  const samples = encoder.input("input_values", "float", ["batch_size", "num_samples"]);
  const framed = encoder.node("Conv", [encoder.node("Unsqueeze", [samples, encoder.int64s([1], [1])]), encoder.weight([width, 1, 320])], {
    kernel_shape: [320],
    strides: [320],
  });
  let state = encoder.node("Transpose", [framed], { perm: [0, 2, 1] });
  state = feedForward(encoder, state, width, hidden);
  encoder.output(layerNorm(encoder, state, width), "last_hidden_state", "float", ["batch_size", "encoder_sequence_length", width]);
  writeFileSync(path.join(directory, "onnx", "encoder_model.onnx"), encoder.toBytes());

  // decoder_model_merged: token embedding, self-attention over the growing cache, cross-attention
  // whose keys/values come from the encoder on the first step and from the cache afterwards.
  const graph = new OnnxGraph("decoder_model_merged", 37);
  const ids = graph.input("input_ids", "int64", ["batch_size", "decoder_sequence_length"]);
  const encoderStates = graph.input("encoder_hidden_states", "float", ["batch_size", "encoder_sequence_length", width]);
  const cache = (kind: string, length: string) =>
    graph.input(`past_key_values.0.${kind}`, "float", ["batch_size", heads, length, headWidth]);
  const pastKey = cache("decoder.key", "past_decoder_sequence_length");
  const pastValue = cache("decoder.value", "past_decoder_sequence_length");
  const pastEncoderKey = cache("encoder.key", "encoder_sequence_length_out");
  const pastEncoderValue = cache("encoder.value", "encoder_sequence_length_out");
  const useCache = graph.input("use_cache_branch", "bool", [1]);
  const fromCache = graph.branch("use_cache");
  const fromEncoder = graph.branch("compute_cross_attention");
  const crossDims = ["batch_size", heads, "encoder_sequence_length_out", headWidth];
  for (const [kind, pastName] of [
    ["key", pastEncoderKey],
    ["value", pastEncoderValue],
  ] as const) {
    fromCache.output(fromCache.node("Identity", [pastName]), `present.0.encoder.${kind}_cached`, "float", crossDims);
    fromEncoder.output(toHeads(fromEncoder, encoderStates, width, heads), `present.0.encoder.${kind}_computed`, "float", crossDims);
  }
  graph.nodeWithOutputs("If", [useCache], ["present.0.encoder.key", "present.0.encoder.value"], {
    then_branch: { graph: fromCache },
    else_branch: { graph: fromEncoder },
  });
  let hiddenState = graph.node("Gather", [graph.weight([vocabulary, width], 1), ids], { axis: 0 });
  const normed = layerNorm(graph, hiddenState, width);
  const key = graph.node("Concat", [pastKey, toHeads(graph, normed, width, heads)], { axis: 2 }, "present.0.decoder.key");
  const value = graph.node("Concat", [pastValue, toHeads(graph, normed, width, heads)], { axis: 2 }, "present.0.decoder.value");
  hiddenState = attend(graph, hiddenState, key, value, width, heads);
  hiddenState = attend(graph, hiddenState, "present.0.encoder.key", "present.0.encoder.value", width, heads);
  hiddenState = feedForward(graph, hiddenState, width, hidden);
  const head = graph.node("MatMul", [layerNorm(graph, hiddenState, width), graph.weight([width, vocabulary])]);
  const table = new Float32Array(script.length * vocabulary);
  script.forEach((token, position) => {
    table[position * vocabulary + token] = 50;
  });
  const length = graph.node("Gather", [graph.node("Shape", [key]), graph.int64s([], [2])], { axis: 0 });
  const position = graph.node("Min", [graph.node("Sub", [length, graph.int64s([], [1])]), graph.int64s([], [script.length - 1])]);
  const scripted = graph.node("Gather", [graph.floats([script.length, vocabulary], table), position], { axis: 0 });
  graph.output(graph.node("Add", [head, scripted]), "logits", "float", ["batch_size", "decoder_sequence_length", vocabulary]);
  for (const kind of ["decoder.key", "decoder.value"])
    graph.output(`present.0.${kind}`, `present.0.${kind}`, "float", ["batch_size", heads, "total_sequence_length", headWidth]);
  for (const kind of ["encoder.key", "encoder.value"]) graph.output(`present.0.${kind}`, `present.0.${kind}`, "float", crossDims);
  writeFileSync(path.join(directory, "onnx", "decoder_model_merged.onnx"), graph.toBytes());

  write("config.json", {
    architectures: ["MoonshineForConditionalGeneration"],
    model_type: "moonshine",
    is_encoder_decoder: true,
    hidden_size: width,
    encoder_num_hidden_layers: 1,
    decoder_num_hidden_layers: 1,
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
  return { directory };
}
