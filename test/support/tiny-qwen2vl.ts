import { writeFileSync } from "node:fs";
import path from "node:path";
import { byteCharacters, byteLevelTokenizer, specialToken } from "./byte-level-tokenizer.ts";
import { jsonFileWriter } from "./json-file-writer.ts";
import { OnnxGraph } from "./onnx/onnx-graph.ts";
import { markerChannel, type TinyImageTextModel, tinyImageTextModel, writeScriptedTextGraphs } from "./onnx/scripted-language-model.ts";

/**
 * Writes a random-weight Qwen2-VL in the layout of the onnx-community ONNX exports that
 * transformers.js loads (config.json with the vision tokens' ids, preprocessor_config.json for
 * Qwen2VLImageProcessor / Qwen2VLProcessor, chat_template.json, tokenizer.json and
 * onnx/{vision_encoder,embed_tokens,decoder_model_merged}.onnx with their input and output
 * names: the vision encoder takes the processor's flattened patches and grid_thw and gives one
 * feature per 2 × 2 merged patches, the decoder takes M-RoPE position_ids [3, batch, sequence]),
 * so transformers.js's real processor (smart resize, patching, <|image_pad|> expansion), its
 * rope index and generation loop run on it. As in tiny-smolvlm.ts, the answer after the
 * assistant's turn starts is `words`, or the tokens in `answer`.
 */
export interface TinyQwen2VlOptions {
  words?: string[];
  /**
   * The answer as tokens instead of words: Qwen2-VL's grounding tokens (`<|box_start|>` …) by
   * name, any other piece as one vocabulary entry spelt as it decodes (no two pieces alike), e.g.
   * `["<|object_ref_start|>", "the cat", "<|object_ref_end|>", "<|box_start|>", "(100,200),(300,400)", "<|box_end|>"]`.
   */
  answer?: string[];
}

const width = 16;
const heads = 2;
const layers = 1;
const patch = 4;
const temporalPatch = 2;
const merge = 2;
const patchValues = 3 * temporalPatch * patch * patch;
const specials = [
  "<|endoftext|>",
  "<|im_start|>",
  "<|im_end|>",
  "<|vision_start|>",
  "<|vision_end|>",
  "<|image_pad|>",
  "<|video_pad|>",
  // Qwen2-VL's grounding tokens (special in its tokenizer, so a plain decode drops them).
  "<|object_ref_start|>",
  "<|object_ref_end|>",
  "<|box_start|>",
  "<|box_end|>",
];
const imEnd = 2;
const firstByte = specials.length;
const firstWord = firstByte + 256;

const chatTemplate =
  "{% set image_count = namespace(value=0) %}{% for message in messages %}{% if loop.first and message['role'] != 'system' %}<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n{% endif %}<|im_start|>{{ message['role'] }}\n{% if message['content'] is string %}{{ message['content'] }}<|im_end|>\n{% else %}{% for content in message['content'] %}{% if content['type'] == 'image' %}{% set image_count.value = image_count.value + 1 %}<|vision_start|><|image_pad|><|vision_end|>{% elif content['type'] == 'text' %}{{ content['text'] }}{% endif %}{% endfor %}<|im_end|>\n{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

export function writeTinyQwen2Vl(directory: string, options: TinyQwen2VlOptions = {}): TinyImageTextModel {
  const pieces = options.answer?.filter((piece) => !specials.includes(piece));
  const words = pieces ?? options.words ?? ["A", "red", "square"];
  const write = jsonFileWriter(directory);
  const newline = firstByte + "\n".charCodeAt(0);
  const vocabulary = writeScriptedTextGraphs(directory, {
    words,
    firstWord,
    ...(options.answer === undefined
      ? {}
      : { answer: options.answer.map((piece) => (specials.includes(piece) ? specials.indexOf(piece) : firstWord + words.indexOf(piece))) }),
    width,
    heads,
    layers,
    promptEnd: newline,
    end: imEnd,
    positionIds: "3d",
  });
  writeFileSync(path.join(directory, "onnx", "vision_encoder.onnx"), visionEncoder());
  write("config.json", {
    architectures: ["Qwen2VLForConditionalGeneration"],
    model_type: "qwen2_vl",
    hidden_size: width,
    num_attention_heads: heads,
    num_key_value_heads: heads,
    num_hidden_layers: layers,
    vocab_size: vocabulary,
    max_position_embeddings: 2048,
    bos_token_id: 0,
    eos_token_id: imEnd,
    vision_start_token_id: 3,
    vision_end_token_id: 4,
    image_token_id: 5,
    video_token_id: 6,
    rope_scaling: { type: "mrope", mrope_section: [2, 1, 1] },
    vision_config: { spatial_merge_size: merge, patch_size: patch, temporal_patch_size: temporalPatch, in_chans: 3, hidden_size: width },
  });
  write("generation_config.json", { bos_token_id: 0, eos_token_id: [imEnd, 0], pad_token_id: 0 });
  write("preprocessor_config.json", {
    image_processor_type: "Qwen2VLImageProcessor",
    processor_class: "Qwen2VLProcessor",
    do_convert_rgb: true,
    do_resize: true,
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: [0.48145466, 0.4578275, 0.40821073],
    image_std: [0.26862954, 0.26130258, 0.27577711],
    resample: 3,
    // Small images: a 96 × 64 test image becomes 16 × 8 pixels, 4 × 2 patches, 2 image tokens.
    min_pixels: 8 * 8,
    max_pixels: 16 * 16,
    patch_size: patch,
    temporal_patch_size: temporalPatch,
    merge_size: merge,
  });
  write("chat_template.json", { chat_template: chatTemplate });
  write("tokenizer_config.json", {
    tokenizer_class: "Qwen2Tokenizer",
    bos_token: null,
    eos_token: "<|im_end|>",
    pad_token: "<|endoftext|>",
    unk_token: null,
    model_max_length: 32768,
    add_prefix_space: false,
    chat_template: chatTemplate,
  });
  const vocab: Record<string, number> = {};
  specials.forEach((token, id) => {
    vocab[token] = id;
  });
  byteCharacters().forEach((character, byte) => {
    vocab[character] = firstByte + byte;
  });
  const characters = byteCharacters();
  const spelt = (piece: string) => [...new TextEncoder().encode(piece)].map((byte) => characters[byte]).join("");
  words.forEach((word, index) => {
    vocab[pieces === undefined ? `Ġ${word}` : spelt(word)] = firstWord + index;
  });
  write(
    "tokenizer.json",
    byteLevelTokenizer(
      vocab,
      specials.map((content, id) => specialToken(id, content)),
    ),
  );
  if (options.answer === undefined) return tinyImageTextModel(directory, words);
  return { directory, text: options.answer.join(""), tokens: (pieces ?? []).length };
}

/** pixel_values [patches, 3·2·4·4] and grid_thw [images, 3] → image_features [patches / 4, width], markers zero. */
function visionEncoder(): Uint8Array {
  const graph = new OnnxGraph("vision_encoder", 71);
  const pixels = graph.input("pixel_values", "float", ["num_patches", patchValues]);
  const grid = graph.input("grid_thw", "int64", ["num_images", 3]);
  const embedded = graph.node("Relu", [graph.node("MatMul", [pixels, graph.weight([patchValues, width])])]);
  // The processor orders patches so that each 2 × 2 merge group is contiguous: four rows become one feature.
  const grouped = graph.node("Reshape", [embedded, graph.int64s([2], [-1, merge * merge * width])]);
  const merged = graph.node("MatMul", [grouped, graph.weight([merge * merge * width, width])]);
  const present = graph.node("Cast", [graph.node("Greater", [graph.node("ReduceMax", [grid], { keepdims: 0 }), graph.int64s([], [0])])], {
    to: 1,
  });
  const markerMask = new Float32Array(width).fill(1);
  markerMask[markerChannel(width)] = 0;
  graph.output(graph.node("Mul", [graph.node("Mul", [merged, graph.floats([width], markerMask)]), present]), "image_features", "float", [
    "num_features",
    width,
  ]);
  return graph.toBytes();
}
