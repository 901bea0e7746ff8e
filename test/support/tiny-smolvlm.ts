import { writeFileSync } from "node:fs";
import path from "node:path";
import { byteCharacters, byteLevelTokenizer, specialToken } from "./byte-level-tokenizer.ts";
import { jsonFileWriter } from "./json-file-writer.ts";
import { OnnxGraph } from "./onnx/onnx-graph.ts";
import { type TinyImageTextModel, tinyImageTextModel, writeScriptedTextGraphs } from "./onnx/scripted-language-model.ts";
import { feedForward } from "./onnx/transformer-blocks.ts";

/**
 * Writes a random-weight SmolVLM in the layout of the onnx-community / HuggingFaceTB ONNX exports
 * that transformers.js loads (config.json, generation_config.json, preprocessor_config.json,
 * processor_config.json, tokenizer.json, tokenizer_config.json with the chat template, and
 * onnx/{vision_encoder,embed_tokens,decoder_model_merged}.onnx with their input and output names),
 * so transformers.js's real processor (image resize, <image> token expansion, chat template),
 * the merge of image features into the text embeddings and the generation loop with its
 * key/value cache run on it. As in tiny-moonfile.ts, one embedding channel carries "token id + 1"
 * and the logits follow a fixed next-token table, so the answer after "Assistant:" is `words`.
 */
export interface TinySmolVlmOptions {
  words?: string[];
  /**
   * do_image_splitting on: an image is resized to 2 × 32 px on its longer side, cut into 32 px
   * tiles and given with a 32 px global view. The vision encoder then takes exactly this many
   * images per prompt (its graph fails on any other count), so a request answered proves the split.
   */
  splitInto?: number;
}

const width = 16;
const heads = 2;
const headWidth = width / heads;
const layers = 1;
const imageSize = 32;
const patch = 8;
const imageTokens = (imageSize / patch) ** 2;
const specials = ["<|endoftext|>", "<|im_start|>", "<end_of_utterance>", "<image>", "<fake_token_around_image>", "<global-img>"];
const endOfUtterance = 2;
const imageToken = 3;
const firstByte = specials.length;
const firstWord = firstByte + 256;

const chatTemplate =
  "<|im_start|>{% for message in messages %}{{message['role'] | capitalize}}{% if message['content'][0]['type'] == 'image' %}{{':'}}{% else %}{{': '}}{% endif %}{% for line in message['content'] %}{% if line['type'] == 'text' %}{{line['text']}}{% elif line['type'] == 'image' %}{{ '<image>' }}{% endif %}{% endfor %}<end_of_utterance>\n{% endfor %}{% if add_generation_prompt %}{{ 'Assistant:' }}{% endif %}";

export function writeTinySmolVlm(directory: string, options: TinySmolVlmOptions = {}): TinyImageTextModel {
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
    end: endOfUtterance,
    positionIds: "2d",
  });
  writeFileSync(path.join(directory, "onnx", "vision_encoder.onnx"), visionEncoder(options.splitInto));
  const textConfig = {
    model_type: "llama",
    hidden_size: width,
    num_attention_heads: heads,
    num_key_value_heads: heads,
    head_dim: headWidth,
    num_hidden_layers: layers,
    vocab_size: vocabulary,
    max_position_embeddings: 2048,
    bos_token_id: 1,
    eos_token_id: endOfUtterance,
    pad_token_id: 0,
  };
  write("config.json", {
    architectures: ["SmolVLMForConditionalGeneration"],
    model_type: "smolvlm",
    image_token_id: imageToken,
    scale_factor: 1,
    text_config: textConfig,
    vision_config: { model_type: "smolvlm_vision", hidden_size: width, image_size: imageSize, patch_size: patch },
    bos_token_id: 1,
    eos_token_id: endOfUtterance,
    pad_token_id: 0,
  });
  write("generation_config.json", { bos_token_id: 1, eos_token_id: [endOfUtterance], pad_token_id: 0 });
  write("preprocessor_config.json", {
    image_processor_type: "SmolVLMImageProcessor",
    processor_class: "SmolVLMProcessor",
    do_convert_rgb: true,
    do_resize: true,
    size: { longest_edge: options.splitInto === undefined ? imageSize : imageSize * 2 },
    resample: 1,
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: [0.5, 0.5, 0.5],
    image_std: [0.5, 0.5, 0.5],
    do_pad: true,
    do_image_splitting: options.splitInto !== undefined,
    max_image_size: { longest_edge: imageSize },
  });
  write("processor_config.json", { image_seq_len: imageTokens, processor_class: "SmolVLMProcessor" });
  write("tokenizer_config.json", {
    tokenizer_class: "GPT2Tokenizer",
    bos_token: "<|im_start|>",
    eos_token: "<end_of_utterance>",
    pad_token: "<|endoftext|>",
    unk_token: "<|endoftext|>",
    model_max_length: 2048,
    add_prefix_space: false,
    chat_template: chatTemplate,
  });
  write("tokenizer.json", tokenizer(words));
  return tinyImageTextModel(directory, words);
}

/** pixel_values [B, N, 3, H, W] and pixel_attention_mask [B, N, H, W] → image_features [B·N, tokens, width], markers zero. */
function visionEncoder(images?: number): Uint8Array {
  const graph = new OnnxGraph("vision_encoder", 51);
  const pixels = graph.input("pixel_values", "float", ["batch_size", "num_images", 3, "height", "width"]);
  const mask = graph.input("pixel_attention_mask", "bool", ["batch_size", "num_images", "height", "width"]);
  const flat = graph.node("Reshape", [pixels, graph.int64s([4], [images ?? -1, 3, imageSize, imageSize])]);
  const patches = graph.node("Conv", [flat, graph.weight([width, 3, patch, patch])], {
    kernel_shape: [patch, patch],
    strides: [patch, patch],
  });
  let features = graph.node("Transpose", [graph.node("Reshape", [patches, graph.int64s([3], [0, width, -1])])], { perm: [0, 2, 1] });
  features = feedForward(graph, features, width, width * 2);
  // Padding images (mask all false) give zero features, as the real encoder masks them out.
  const present = graph.node("ReduceMax", [graph.node("Cast", [mask], { to: 1 })], { keepdims: 0 });
  const markerMask = new Float32Array(width).fill(1);
  markerMask[width - 2] = 0;
  graph.output(graph.node("Mul", [graph.node("Mul", [features, graph.floats([width], markerMask)]), present]), "image_features", "float", [
    "num_images",
    imageTokens,
    width,
  ]);
  return graph.toBytes();
}

function tokenizer(words: string[]) {
  const vocab: Record<string, number> = {};
  specials.forEach((token, id) => {
    vocab[token] = id;
  });
  byteCharacters().forEach((character, byte) => {
    vocab[character] = firstByte + byte;
  });
  words.forEach((word, index) => {
    vocab[index === 0 ? `Ġ${word}` : `Ġ${word}`] = firstWord + index;
  });
  return byteLevelTokenizer(
    vocab,
    specials.map((content, id) => specialToken(id, content)),
  );
}
