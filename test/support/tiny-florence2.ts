import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { byteCharacters, byteLevelTokenizer, specialToken } from "./byte-level-tokenizer.ts";
import { jsonFileWriter } from "./json-file-writer.ts";
import { OnnxGraph } from "./onnx/onnx-graph.ts";
import { applyMask, attend, feedForward, layerNorm, toHeads } from "./onnx/transformer-blocks.ts";

/**
 * Writes a random-weight Florence-2 in the layout of the onnx-community exports that
 * transformers.js loads (config.json, generation_config.json, preprocessor_config.json,
 * tokenizer.json, tokenizer_config.json, onnx/{vision_encoder,embed_tokens,encoder_model,
 * decoder_model_merged}.onnx) with the graph input and output names and symbolic shapes those
 * exports have, so transformers.js's real loading, image preprocessing, tokenisation and
 * generation loop (KV cache, merged decoder with use_cache_branch) run on it.
 *
 * The weights are random, so what it "sees" is noise; to make answers checkable the language
 * head adds a fixed script to the logits by decoder position, and greedy decoding emits
 * `script` (text, then location tokens), then </s>.
 */
export interface TinyFlorence2Options {
  /** Text the model emits before the location tokens. */
  text?: string;
  /** Location bins (0..999) it emits after the text: groups of four are one box. */
  locations?: number[];
  /**
   * Instead of `text` and `locations`: what `<OCR_WITH_REGION>` answers, each region's text then
   * its quadrilateral as eight location bins (x1, y1, …, x4, y4), one region after the other.
   */
  regions?: { text: string; quad: number[] }[];
  imageSize?: number;
  patchSize?: number;
  width?: number;
  heads?: number;
  visionLayers?: number;
  encoderLayers?: number;
  decoderLayers?: number;
  feedForward?: number;
  /** Extra filler vocabulary (a real Florence-2 has 51289 tokens). */
  vocabularySize?: number;
  /** Never emit </s>: the last token of the script repeats until max_new_tokens or an interrupt. */
  endless?: boolean;
}

export interface TinyFlorence2 {
  directory: string;
  parameters: number;
}

const specials = ["<s>", "<pad>", "</s>", "<unk>"];
const firstByteToken = specials.length;
const firstLocationToken = firstByteToken + 256;

export function writeTinyFlorence2(directory: string, options: TinyFlorence2Options = {}): TinyFlorence2 {
  const width = options.width ?? 16;
  const heads = options.heads ?? 2;
  const imageSize = options.imageSize ?? 32;
  const patch = options.patchSize ?? 8;
  const hidden = options.feedForward ?? width * 2;
  const decoderLayers = options.decoderLayers ?? 1;
  const encoderLayers = options.encoderLayers ?? 1;
  const vocabulary = Math.max(options.vocabularySize ?? 0, firstLocationToken + 1000);
  const answer =
    options.regions === undefined
      ? [
          ...byteTokens(options.text ?? "A red square on a white background"),
          ...(options.locations ?? [250, 250, 750, 750]).map((bin) => firstLocationToken + bin),
        ]
      : options.regions.flatMap((region) => [...byteTokens(region.text), ...region.quad.map((bin) => firstLocationToken + bin)]);
  const script = [0, ...answer, ...(options.endless === true ? [] : [2])];

  mkdirSync(path.join(directory, "onnx"), { recursive: true });
  const write = jsonFileWriter(directory);
  let parameters = 0;
  const writeGraph = (name: string, graph: OnnxGraph) => {
    parameters += graph.parameterCount();
    writeFileSync(path.join(directory, "onnx", `${name}.onnx`), graph.toBytes());
  };

  // vision_encoder: pixel_values [B, 3, H, W] → image_features [B, N, D] (patchify, then MLP blocks).
  const vision = new OnnxGraph("vision_encoder", 11);
  const pixels = vision.input("pixel_values", "float", ["batch_size", 3, "height", "width"]);
  const patches = vision.node("Conv", [pixels, vision.weight([width, 3, patch, patch])], {
    kernel_shape: [patch, patch],
    strides: [patch, patch],
  });
  let features = vision.node("Transpose", [vision.node("Reshape", [patches, vision.int64s([3], [0, width, -1])])], { perm: [0, 2, 1] });
  for (let layer = 0; layer < (options.visionLayers ?? 1); layer++) features = feedForward(vision, features, width, hidden);
  vision.output(layerNorm(vision, features, width), "image_features", "float", ["batch_size", "num_image_tokens", width]);
  writeGraph("vision_encoder", vision);

  // embed_tokens: input_ids [B, S] → inputs_embeds [B, S, D].
  const embed = new OnnxGraph("embed_tokens", 13);
  const ids = embed.input("input_ids", "int64", ["batch_size", "sequence_length"]);
  embed.output(embed.node("Gather", [embed.weight([vocabulary, width], 1), ids], { axis: 0 }), "inputs_embeds", "float", [
    "batch_size",
    "sequence_length",
    width,
  ]);
  writeGraph("embed_tokens", embed);

  // encoder_model: inputs_embeds, attention_mask → last_hidden_state.
  const encoder = new OnnxGraph("encoder_model", 17);
  const encoderInput = encoder.input("inputs_embeds", "float", ["batch_size", "encoder_sequence_length", width]);
  const encoderMask = encoder.input("attention_mask", "int64", ["batch_size", "encoder_sequence_length"]);
  let state = applyMask(encoder, encoderInput, encoderMask);
  for (let layer = 0; layer < encoderLayers; layer++) {
    const normed = layerNorm(encoder, state, width);
    state = attend(encoder, state, toHeads(encoder, normed, width, heads), toHeads(encoder, normed, width, heads), width, heads);
    state = feedForward(encoder, state, width, hidden);
  }
  encoder.output(layerNorm(encoder, state, width), "last_hidden_state", "float", ["batch_size", "encoder_sequence_length", width]);
  writeGraph("encoder_model", encoder);

  writeGraph("decoder_model_merged", decoderGraph({ width, heads, hidden, decoderLayers, vocabulary, script }));

  write("config.json", {
    architectures: ["Florence2ForConditionalGeneration"],
    model_type: "florence2",
    is_encoder_decoder: true,
    vocab_size: vocabulary,
    bos_token_id: 0,
    pad_token_id: 1,
    eos_token_id: 2,
    decoder_start_token_id: 2,
    projection_dim: width,
    text_config: {
      model_type: "florence2_language",
      d_model: width,
      encoder_layers: encoderLayers,
      decoder_layers: decoderLayers,
      encoder_attention_heads: heads,
      decoder_attention_heads: heads,
      vocab_size: vocabulary,
      is_encoder_decoder: true,
      max_position_embeddings: 1024,
      bos_token_id: 0,
      pad_token_id: 1,
      eos_token_id: 2,
      decoder_start_token_id: 2,
    },
    vision_config: { model_type: "davit", projection_dim: width },
  });
  write("generation_config.json", {
    bos_token_id: 0,
    decoder_start_token_id: 2,
    eos_token_id: 2,
    forced_bos_token_id: 0,
    forced_eos_token_id: 2,
    pad_token_id: 1,
    num_beams: 1,
  });
  write("preprocessor_config.json", florence2PreprocessorConfig(imageSize));
  write("tokenizer_config.json", {
    tokenizer_class: "BartTokenizer",
    model_max_length: 1024,
    bos_token: "<s>",
    eos_token: "</s>",
    pad_token: "<pad>",
    unk_token: "<unk>",
    add_prefix_space: false,
  });
  write("tokenizer.json", tokenizer(vocabulary));
  return { directory, parameters };
}

interface DecoderShape {
  width: number;
  heads: number;
  hidden: number;
  decoderLayers: number;
  vocabulary: number;
  script: number[];
}

/**
 * decoder_model_merged as optimum exports it: self-attention keys/values grow by one position per
 * step; cross-attention keys/values are computed from the encoder output on the first step and
 * read back from the cache afterwards (an If on use_cache_branch).
 */
function decoderGraph(shape: DecoderShape): OnnxGraph {
  const { width, heads, decoderLayers, vocabulary, script } = shape;
  const headWidth = width / heads;
  const graph = new OnnxGraph("decoder_model_merged", 23);
  const encoderMask = graph.input("encoder_attention_mask", "int64", ["batch_size", "encoder_sequence_length"]);
  const encoderStates = graph.input("encoder_hidden_states", "float", ["batch_size", "encoder_sequence_length", width]);
  const embeddings = graph.input("inputs_embeds", "float", ["batch_size", "decoder_sequence_length", width]);
  const past: { key: string; value: string; encoderKey: string; encoderValue: string }[] = [];
  for (let layer = 0; layer < decoderLayers; layer++) {
    const cache = (kind: string, length: string) =>
      graph.input(`past_key_values.${layer}.${kind}`, "float", ["batch_size", heads, length, headWidth]);
    past.push({
      key: cache("decoder.key", "past_decoder_sequence_length"),
      value: cache("decoder.value", "past_decoder_sequence_length"),
      encoderKey: cache("encoder.key", "encoder_sequence_length_out"),
      encoderValue: cache("encoder.value", "encoder_sequence_length_out"),
    });
  }
  const useCache = graph.input("use_cache_branch", "bool", [1]);
  const maskedStates = applyMask(graph, encoderStates, encoderMask);

  // Cross-attention keys and values: from the cache (then) or the encoder output (else).
  const fromCache = graph.branch("use_cache");
  const fromEncoder = graph.branch("compute_cross_attention");
  const crossOutputs: string[] = [];
  for (let layer = 0; layer < decoderLayers; layer++) {
    const cached = past[layer];
    if (cached === undefined) continue;
    for (const [kind, pastName] of [
      ["key", cached.encoderKey],
      ["value", cached.encoderValue],
    ] as const) {
      const outName = `present.${layer}.encoder.${kind}`;
      const dims = ["batch_size", heads, "encoder_sequence_length_out", headWidth];
      fromCache.output(fromCache.node("Identity", [pastName]), `${outName}_cached`, "float", dims);
      fromEncoder.output(toHeads(fromEncoder, maskedStates, width, heads), `${outName}_computed`, "float", dims);
      crossOutputs.push(outName);
    }
  }
  graph.nodeWithOutputs("If", [useCache], crossOutputs, { then_branch: { graph: fromCache }, else_branch: { graph: fromEncoder } });

  let state = embeddings;
  let firstKey: string | undefined;
  for (let layer = 0; layer < decoderLayers; layer++) {
    const cached = past[layer];
    if (cached === undefined) continue;
    const normed = layerNorm(graph, state, width);
    const key = graph.node("Concat", [cached.key, toHeads(graph, normed, width, heads)], { axis: 2 }, `present.${layer}.decoder.key`);
    const value = graph.node("Concat", [cached.value, toHeads(graph, normed, width, heads)], { axis: 2 }, `present.${layer}.decoder.value`);
    firstKey ??= key;
    state = attend(graph, state, key, value, width, heads);
    state = attend(graph, state, `present.${layer}.encoder.key`, `present.${layer}.encoder.value`, width, heads);
    state = feedForward(graph, state, width, shape.hidden);
  }
  const head = graph.node("MatMul", [layerNorm(graph, state, width), graph.weight([width, vocabulary])]);

  // The script: the logit of the token due at this position (total decoder length - 1) gets +50.
  const table = new Float32Array(script.length * vocabulary);
  script.forEach((token, position) => {
    table[position * vocabulary + token] = 50;
  });
  const length = graph.node("Gather", [graph.node("Shape", [firstKey ?? embeddings]), graph.int64s([], [2])], { axis: 0 });
  const position = graph.node("Min", [graph.node("Sub", [length, graph.int64s([], [1])]), graph.int64s([], [script.length - 1])]);
  const scripted = graph.node("Gather", [graph.floats([script.length, vocabulary], table), position], { axis: 0 });
  graph.output(graph.node("Add", [head, scripted]), "logits", "float", ["batch_size", "decoder_sequence_length", vocabulary]);
  for (let layer = 0; layer < decoderLayers; layer++) {
    for (const kind of ["decoder.key", "decoder.value"]) {
      graph.output(`present.${layer}.${kind}`, `present.${layer}.${kind}`, "float", [
        "batch_size",
        heads,
        "total_sequence_length",
        headWidth,
      ]);
    }
    for (const kind of ["encoder.key", "encoder.value"]) {
      graph.output(`present.${layer}.${kind}`, `present.${layer}.${kind}`, "float", [
        "batch_size",
        heads,
        "encoder_sequence_length_out",
        headWidth,
      ]);
    }
  }
  return graph;
}

export function byteTokens(text: string): number[] {
  return [...new TextEncoder().encode(text)].map((byte) => firstByteToken + byte);
}

export function tokenizer(vocabulary: number) {
  const vocab: Record<string, number> = {};
  specials.forEach((token, id) => {
    vocab[token] = id;
  });
  byteCharacters().forEach((character, byte) => {
    vocab[character] = firstByteToken + byte;
  });
  const added = specials.map((content, id) => specialToken(id, content));
  for (let bin = 0; bin < 1000; bin++) {
    const content = `<loc_${bin}>`;
    vocab[content] = firstLocationToken + bin;
    added.push({
      id: firstLocationToken + bin,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: false,
    });
  }
  for (let id = firstLocationToken + 1000; id < vocabulary; id++) vocab[`tok${id}`] = id;
  return byteLevelTokenizer(vocab, added, {
    postProcessor: { type: "RobertaProcessing", sep: ["</s>", 2], cls: ["<s>", 0], trim_offsets: true, add_prefix_space: false },
    decoderAddsPrefixSpace: true,
  });
}

/** Florence-2's processor settings (CLIP-style resize and normalisation, the task prompts). */
function florence2PreprocessorConfig(imageSize: number) {
  return {
    processor_class: "Florence2Processor",
    image_processor_type: "CLIPImageProcessor",
    do_resize: true,
    size: { height: imageSize, width: imageSize },
    resample: 3,
    do_center_crop: false,
    do_rescale: true,
    rescale_factor: 1 / 255,
    do_normalize: true,
    image_mean: [0.485, 0.456, 0.406],
    image_std: [0.229, 0.224, 0.225],
    do_convert_rgb: true,
    tasks_answer_post_processing_type: {
      "<OCR>": "pure_text",
      "<OCR_WITH_REGION>": "ocr",
      "<CAPTION>": "pure_text",
      "<DETAILED_CAPTION>": "pure_text",
      "<MORE_DETAILED_CAPTION>": "pure_text",
      "<OD>": "description_with_bboxes",
      "<DENSE_REGION_CAPTION>": "description_with_bboxes",
      "<CAPTION_TO_PHRASE_GROUNDING>": "phrase_grounding",
      "<OPEN_VOCABULARY_DETECTION>": "description_with_bboxes_or_polygons",
      "<REGION_PROPOSAL>": "bboxes",
    },
    task_prompts_without_inputs: {
      "<OCR>": "What is the text in the image?",
      "<OCR_WITH_REGION>": "What is the text in the image, with regions?",
      "<CAPTION>": "What does the image describe?",
      "<DETAILED_CAPTION>": "Describe in detail what is shown in the image.",
      "<MORE_DETAILED_CAPTION>": "Describe with a paragraph what is shown in the image.",
      "<OD>": "Locate the objects with category name in the image.",
      "<DENSE_REGION_CAPTION>": "Locate the objects in the image, with their descriptions.",
      "<REGION_PROPOSAL>": "Locate the region proposals in the image.",
    },
    task_prompts_with_input: {
      "<CAPTION_TO_PHRASE_GROUNDING>": "Locate the phrases in the caption: {input}",
      "<OPEN_VOCABULARY_DETECTION>": "Locate {input} in the image.",
    },
  };
}
