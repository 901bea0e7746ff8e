import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { byteCharacters, byteLevelTokenizer, specialToken } from "./byte-level-tokenizer.ts";
import { OnnxGraph } from "./onnx/onnx-graph.ts";
import { attend, feedForward, layerNorm, toHeads } from "./onnx/transformer-blocks.ts";

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
}

export interface TinySmolVlm {
  directory: string;
  text: string;
  tokens: number;
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

export function writeTinySmolVlm(directory: string, options: TinySmolVlmOptions = {}): TinySmolVlm {
  const words = options.words ?? ["A", "red", "square"];
  const vocabulary = firstWord + words.length;
  mkdirSync(path.join(directory, "onnx"), { recursive: true });
  const write = (name: string, value: unknown) => writeFileSync(path.join(directory, name), JSON.stringify(value, null, 1));
  const colon = firstByte + ":".charCodeAt(0);
  writeFileSync(path.join(directory, "onnx", "vision_encoder.onnx"), visionEncoder());
  writeFileSync(path.join(directory, "onnx", "embed_tokens.onnx"), embedTokens(vocabulary));
  writeFileSync(path.join(directory, "onnx", "decoder_model_merged.onnx"), decoder(vocabulary, words.length, colon));
  const text = {
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
    text_config: text,
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
    size: { longest_edge: imageSize },
    resample: 1,
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: [0.5, 0.5, 0.5],
    image_std: [0.5, 0.5, 0.5],
    do_pad: true,
    do_image_splitting: false,
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
  return { directory, text: words.join(" "), tokens: words.length };
}

/** pixel_values [B, N, 3, H, W] and pixel_attention_mask [B, N, H, W] → image_features [B·N, tokens, width], markers zero. */
function visionEncoder(): Uint8Array {
  const graph = new OnnxGraph("vision_encoder", 51);
  const pixels = graph.input("pixel_values", "float", ["batch_size", "num_images", 3, "height", "width"]);
  const mask = graph.input("pixel_attention_mask", "bool", ["batch_size", "num_images", "height", "width"]);
  const flat = graph.node("Reshape", [pixels, graph.int64s([4], [-1, 3, imageSize, imageSize])]);
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

function embedTokens(vocabulary: number): Uint8Array {
  const graph = new OnnxGraph("embed_tokens", 53);
  const table = new Float32Array(vocabulary * width);
  let state = 4242;
  for (let index = 0; index < table.length; index++) {
    state = (state * 1103515245 + 12345) >>> 0;
    table[index] = (state / 4294967296 - 0.5) * 0.2;
  }
  for (let id = 0; id < vocabulary; id++) table[id * width + width - 2] = id + 1;
  const ids = graph.input("input_ids", "int64", ["batch_size", "sequence_length"]);
  graph.output(graph.node("Gather", [graph.floats([vocabulary, width], table), ids], { axis: 0 }), "inputs_embeds", "float", [
    "batch_size",
    "sequence_length",
    width,
  ]);
  return graph.toBytes();
}

/** A llama-style merged decoder: inputs_embeds, attention_mask, position_ids, past_key_values.N.key/value → logits, present.N.key/value. */
function decoder(vocabulary: number, wordCount: number, promptEnd: number): Uint8Array {
  const graph = new OnnxGraph("decoder_model_merged", 57);
  const embeds = graph.input("inputs_embeds", "float", ["batch_size", "sequence_length", width]);
  const mask = graph.input("attention_mask", "int64", ["batch_size", "total_sequence_length"]);
  const positions = graph.input("position_ids", "int64", ["batch_size", "sequence_length"]);
  // Consumed so the graph declares them as exporters do: both scale nothing (× 1).
  const one = graph.node(
    "Cast",
    [
      graph.node("Greater", [
        graph.node("Add", [graph.node("ReduceMax", [mask], { keepdims: 0 }), graph.node("ReduceMax", [positions], { keepdims: 0 })]),
        graph.int64s([], [-1]),
      ]),
    ],
    { to: 1 },
  );
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
    [graph.node("Round", [graph.node("Gather", [lastInput, graph.int64s([1], [width - 2])], { axis: 1 })])],
    { to: 7 },
  );
  const rows = vocabulary + 1;
  const table = new Float32Array(rows * vocabulary);
  const follow = (token: number, next: number) => {
    table[(token + 1) * vocabulary + next] = 50;
  };
  follow(promptEnd, firstWord);
  for (let word = 0; word < wordCount; word++) follow(firstWord + word, word + 1 < wordCount ? firstWord + word + 1 : endOfUtterance);
  const scripted = graph.node(
    "Gather",
    [graph.floats([rows, vocabulary], table), graph.node("Min", [marker, graph.int64s([], [rows - 1])])],
    { axis: 0 },
  );
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
