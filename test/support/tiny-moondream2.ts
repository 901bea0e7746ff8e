import { writeFileSync } from "node:fs";
import path from "node:path";
import { byteCharacters, byteLevelTokenizer, specialToken } from "./byte-level-tokenizer.ts";
import { jsonFileWriter } from "./json-file-writer.ts";
import { OnnxGraph } from "./onnx/onnx-graph.ts";
import {
  imageFlagChannel,
  markerChannel,
  type TinyImageTextModel,
  tinyImageTextModel,
  writeScriptedTextGraphs,
} from "./onnx/scripted-language-model.ts";
import { feedForward } from "./onnx/transformer-blocks.ts";

/**
 * Writes a random-weight moondream2 in the layout of its transformers.js ONNX export
 * (onnx-community / Xenova moondream2: model_type "moondream1", a phi_config, image_token_index
 * −200, an image-only preprocessor_config.json, a CodeGen tokenizer whose `<image>` token has the
 * id −200, and onnx/{vision_encoder,embed_tokens,decoder_model_merged}.onnx with their input and
 * output names), so transformers.js's Moondream1ForConditionalGeneration, its image processor
 * and generation loop run on it. The prompt holds one `<image>`; the vision encoder gives
 * `imageTokens` features for it, flagged so that the decoder answers `words` after "Answer:" only
 * when they were merged into the prompt (a prompt without them gets noise).
 */
export interface TinyMoondream2Options {
  words?: string[];
}

const width = 16;
const heads = 2;
const layers = 1;
const imageSize = 32;
const patch = 8;
const imageTokens = (imageSize / patch) ** 2;
const endOfText = 0;
const imageTokenId = -200;
const firstByte = 1;
const firstWord = firstByte + 256;

export function writeTinyMoondream2(directory: string, options: TinyMoondream2Options = {}): TinyImageTextModel {
  const words = options.words ?? ["A", "red", "square"];
  const write = jsonFileWriter(directory);
  const colon = firstByte + ":".charCodeAt(0);
  const vocabulary = writeScriptedTextGraphs(directory, {
    words,
    firstWord,
    width,
    heads,
    layers,
    promptEnd: colon,
    end: endOfText,
    positionIds: "2d",
    requireImage: true,
  });
  writeFileSync(path.join(directory, "onnx", "vision_encoder.onnx"), visionEncoder());
  write("config.json", {
    architectures: ["Moondream"],
    model_type: "moondream1",
    image_token_index: imageTokenId,
    phi_config: {
      model_type: "phi",
      hidden_size: width,
      num_attention_heads: heads,
      num_key_value_heads: heads,
      num_hidden_layers: layers,
      vocab_size: vocabulary,
      max_position_embeddings: 2048,
      bos_token_id: endOfText,
      eos_token_id: endOfText,
    },
    bos_token_id: endOfText,
    eos_token_id: endOfText,
  });
  write("generation_config.json", { bos_token_id: endOfText, eos_token_id: endOfText });
  write("preprocessor_config.json", {
    image_processor_type: "SiglipImageProcessor",
    do_resize: true,
    size: { height: imageSize, width: imageSize },
    resample: 3,
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: [0.5, 0.5, 0.5],
    image_std: [0.5, 0.5, 0.5],
  });
  write("tokenizer_config.json", {
    tokenizer_class: "CodeGenTokenizer",
    bos_token: "<|endoftext|>",
    eos_token: "<|endoftext|>",
    unk_token: "<|endoftext|>",
    model_max_length: 2048,
    add_prefix_space: false,
  });
  const vocab: Record<string, number> = { "<|endoftext|>": endOfText };
  byteCharacters().forEach((character, byte) => {
    vocab[character] = firstByte + byte;
  });
  words.forEach((word, index) => {
    vocab[`Ġ${word}`] = firstWord + index;
  });
  write(
    "tokenizer.json",
    byteLevelTokenizer(vocab, [specialToken(endOfText, "<|endoftext|>"), { ...specialToken(imageTokenId, "<image>"), special: false }]),
  );
  return tinyImageTextModel(directory, words);
}

/** pixel_values [B, 3, H, W] → image_features [B, tokens, width], markers zero. */
function visionEncoder(): Uint8Array {
  const graph = new OnnxGraph("vision_encoder", 61);
  const pixels = graph.input("pixel_values", "float", ["batch_size", 3, imageSize, imageSize]);
  const patches = graph.node("Conv", [pixels, graph.weight([width, 3, patch, patch])], {
    kernel_shape: [patch, patch],
    strides: [patch, patch],
  });
  let features = graph.node("Transpose", [graph.node("Reshape", [patches, graph.int64s([3], [0, width, -1])])], { perm: [0, 2, 1] });
  features = feedForward(graph, features, width, width * 2);
  const markerMask = new Float32Array(width).fill(1);
  markerMask[markerChannel(width)] = 0;
  markerMask[imageFlagChannel(width)] = 0;
  const flag = new Float32Array(width);
  flag[imageFlagChannel(width)] = 1;
  const flagged = graph.node("Add", [graph.node("Mul", [features, graph.floats([width], markerMask)]), graph.floats([width], flag)]);
  graph.output(flagged, "image_features", "float", ["batch_size", imageTokens, width]);
  return graph.toBytes();
}
