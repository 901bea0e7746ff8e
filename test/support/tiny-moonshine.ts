import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { jsonFileWriter } from "./json-file-writer.ts";
import { crossAttentionDecoder } from "./onnx/cross-attention-decoder.ts";
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

  // decoder_model_merged: the script by decoder position (the cache's length), whatever the encoder said.
  const table = new Float32Array(script.length * vocabulary);
  script.forEach((token, position) => {
    table[position * vocabulary + token] = 50;
  });
  const decoder = crossAttentionDecoder({
    width,
    heads,
    layers,
    hidden,
    vocabulary,
    seed: 37,
    script(graph) {
      const length = graph.node("Gather", [graph.node("Shape", ["present.0.decoder.key"]), graph.int64s([], [2])], { axis: 0 });
      const position = graph.node("Min", [graph.node("Sub", [length, graph.int64s([], [1])]), graph.int64s([], [script.length - 1])]);
      return graph.node("Gather", [graph.floats([script.length, vocabulary], table), position], { axis: 0 });
    },
  });
  writeFileSync(path.join(directory, "onnx", "decoder_model_merged.onnx"), decoder.bytes);

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
  return { directory, parameters: encoder.parameterCount() + decoder.parameters };
}
