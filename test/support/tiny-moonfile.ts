import { writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { toFloat16Array } from "../../src/providers/moonfile/float16.ts";
import { byteCharacters, byteLevelTokenizer, specialToken } from "./byte-level-tokenizer.ts";
import { OnnxGraph } from "./onnx/onnx-graph.ts";
import { attend, feedForward, layerNorm, toHeads } from "./onnx/transformer-blocks.ts";

/**
 * Writes a random-weight Moondream `.mf` archive with the graphs, input and output names and
 * shapes onnx_vl.py runs (vision_encoder, vision_projection, text_encoder, text_decoder with a
 * [layers, 2, 1, heads, positions, head width] float16 key/value cache, coord/size encoders and
 * decoders), a byte-level BPE tokenizer.json, config.json with the prompt templates and
 * initial_kv_cache.npy, so Station's real loading, image crops, vision encoding, decoding loop
 * with its cache, and coordinate decoding run end to end.
 *
 * To make answers checkable without trained weights, two channels of every embedding are
 * markers: the text encoder writes "token id + 1" into one (the decoder's logits then follow a
 * fixed next-token table: after ":" or a newline comes the caption's first word, each word is
 * followed by the next, the last by end-of-text), the coordinate and size encoders write 1 into
 * the other, and the decoder copies that channel into its key cache and sums it over every cached
 * position: once `regionSteps` region embeddings were seen, end-of-text wins. Point spends two
 * region embeddings per point and detect three per box, so 6 gives 3 points and 2 boxes.
 */
export interface TinyMoonfileOptions {
  /** Words of the caption / answer; each is one token (the first without, the others with a leading space). */
  words?: string[];
  regionSteps?: number;
  /** Crop size the vision encoder takes (fixed in its input shape, as exports do; preprocess.py uses 378). */
  patchSize?: number;
  /** Leave out these graphs' templates from config.json. */
  withoutSkills?: ("detect" | "point")[];
  shape?: Partial<MoonfileShape>;
  /** The last word is followed by the first again: captions run until the token limit. */
  endless?: boolean;
}

export interface TinyMoonfile {
  bytes: Buffer;
  /** The archive's files, to build broken variants with moonArchive. */
  files: [string, Uint8Array][];
  text: string;
  /** Tokens in the caption (the end-of-text token not counted). */
  tokens: number;
}

const patch = 14;
const bins = 32;
const eos = 0;
const firstByte = 1;
const firstWord = firstByte + 256;

export function buildTinyMoonfile(options: TinyMoonfileOptions = {}): TinyMoonfile {
  const words = options.words ?? ["A", "red", "square", "on", "a", "white", "background"];
  const wordTokens = words.map((word, index) => (index === 0 ? word : `Ġ${word}`));
  const shape = { ...tinyShape, ...options.shape };
  const vocabulary = firstWord + words.length + shape.vocabularySize;
  const patchSize = options.patchSize ?? 378;
  const regionSteps = options.regionSteps ?? 6;
  const bytes = (text: string) => [...new TextEncoder().encode(text)].map((byte) => firstByte + byte);

  const files: [string, Uint8Array][] = [
    ["vision_encoder.onnx", visionEncoder(patchSize, shape)],
    ["vision_projection.onnx", visionProjection(shape)],
    ["text_encoder.onnx", textEncoder(vocabulary, shape.width)],
    [
      "text_decoder.onnx",
      textDecoder(
        {
          vocabulary,
          wordCount: words.length,
          regionSteps,
          endless: options.endless === true,
          promptEnds: [bytes(":")[0] as number, bytes("\n")[0] as number],
        },
        shape,
      ),
    ],
    ["coord_encoder.onnx", regionEncoder("coord_encoder", 1, shape.width)],
    ["coord_decoder.onnx", regionDecoder("coord_decoder", 1, shape.width)],
    ["size_encoder.onnx", regionEncoder("size_encoder", 2, shape.width)],
    ["size_decoder.onnx", regionDecoder("size_decoder", 2, shape.width)],
    ["tokenizer.json", Buffer.from(JSON.stringify(tokenizer(wordTokens, shape.vocabularySize)))],
    [
      "config.json",
      Buffer.from(
        JSON.stringify({
          special_tokens: { bos: eos, eos },
          templates: {
            caption: { short: bytes("\n\nShort caption:"), normal: bytes("\n\nCaption:") },
            query: { prefix: bytes("\n\nQuestion: "), suffix: bytes("\n\nAnswer:") },
            ...(options.withoutSkills?.includes("detect") ? {} : { detect: { prefix: bytes("\n\nDetect:"), suffix: bytes("\n") } }),
            ...(options.withoutSkills?.includes("point") ? {} : { point: { prefix: bytes("\n\nPoint:"), suffix: bytes("\n") } }),
          },
        }),
      ),
    ],
    ["initial_kv_cache.npy", initialCache(shape)],
  ];
  return { bytes: moonArchive(files), files, text: words.join(" "), tokens: words.length };
}

export function writeTinyMoonfile(filePath: string, options: TinyMoonfileOptions = {}): TinyMoonfile {
  const model = buildTinyMoonfile(options);
  writeFileSync(filePath, filePath.endsWith(".gz") ? gzipSync(model.bytes) : model.bytes);
  return model;
}

/** moonfile.py's layout: "MOON", version 1, then (u32 name length, name, u64 content length, content) per file. */
export function moonArchive(files: [string, Uint8Array][]): Buffer {
  const parts: Buffer[] = [Buffer.from("MOON", "latin1"), Buffer.from([1])];
  for (const [name, content] of files) {
    const nameBytes = Buffer.from(name, "utf8");
    const header = Buffer.alloc(4 + nameBytes.length + 8);
    header.writeUInt32BE(nameBytes.length, 0);
    nameBytes.copy(header, 4);
    header.writeBigUInt64BE(BigInt(content.length), 4 + nameBytes.length);
    parts.push(header, Buffer.from(content));
  }
  return Buffer.concat(parts);
}

/** Sizes of the random-weight graphs (the defaults are tiny; the bench asks for larger ones). */
export interface MoonfileShape {
  /** Text width (embeddings, hidden states); two channels are markers. */
  width: number;
  heads: number;
  /** Decoder layers (the cache's first axis). */
  layers: number;
  visionChannels: number;
  visionLayers: number;
  /** Tokens beyond the tokenizer's own (a real Moondream has 51200). */
  vocabularySize: number;
}

const tinyShape: MoonfileShape = { width: 16, heads: 2, layers: 1, visionChannels: 8, visionLayers: 1, vocabularySize: 0 };

/** A mask that zeroes the two marker channels. */
function withoutMarkers(graph: OnnxGraph, x: string, width: number): string {
  const mask = new Float32Array(width).fill(1);
  mask[width - 2] = 0;
  mask[width - 1] = 0;
  return graph.node("Mul", [x, graph.floats([width], mask)]);
}

/** input [patches, 3, size, size] float16 → [patches, 729, channels] float16: a 14-pixel patch convolution, then MLP blocks. */
function visionEncoder(patchSize: number, shape: MoonfileShape): Uint8Array {
  const channels = shape.visionChannels;
  const graph = new OnnxGraph("vision_encoder", 31);
  const pixels = graph.node("Cast", [graph.input("input", "float16", ["batch_size", 3, patchSize, patchSize])], { to: 1 });
  const patches = graph.node("Conv", [pixels, graph.weight([channels, 3, patch, patch])], {
    kernel_shape: [patch, patch],
    strides: [patch, patch],
  });
  let tokens = graph.node("Transpose", [graph.node("Reshape", [patches, graph.int64s([3], [0, channels, -1])])], { perm: [0, 2, 1] });
  for (let layer = 0; layer < shape.visionLayers; layer++) tokens = feedForward(graph, tokens, channels, channels * 2);
  graph.output(graph.node("Cast", [layerNorm(graph, tokens, channels)], { to: 10 }), "output", "float16", [
    "batch_size",
    "num_patches",
    channels,
  ]);
  return graph.toBytes();
}

/** input [1, 729, 2 × channels] → [1, 729, width], marker channels zero. */
function visionProjection(shape: MoonfileShape): Uint8Array {
  const graph = new OnnxGraph("vision_projection", 37);
  const input = graph.input("input", "float", [1, "num_patches", 2 * shape.visionChannels]);
  const projected = graph.node("MatMul", [input, graph.weight([2 * shape.visionChannels, shape.width], 0.5)]);
  graph.output(withoutMarkers(graph, projected, shape.width), "output", "float", [1, "num_patches", shape.width]);
  return graph.toBytes();
}

/** input_ids [1, S] int64 → [1, S, width]: random embeddings, the token marker set to id + 1. */
function textEncoder(vocabulary: number, width: number): Uint8Array {
  const graph = new OnnxGraph("text_encoder", 41);
  const table = new Float32Array(vocabulary * width);
  let state = 12345;
  for (let index = 0; index < table.length; index++) {
    state = (state * 1103515245 + 12345) >>> 0;
    table[index] = (state / 4294967296 - 0.5) * 0.2;
  }
  for (let id = 0; id < vocabulary; id++) {
    table[id * width + width - 2] = id + 1;
    table[id * width + width - 1] = 0;
  }
  const ids = graph.input("input_ids", "int64", [1, "sequence_length"]);
  graph.output(graph.node("Gather", [graph.floats([vocabulary, width], table), ids], { axis: 0 }), "output", "float", [
    1,
    "sequence_length",
    width,
  ]);
  return graph.toBytes();
}

/** coord_encoder (input [1]) or size_encoder (input [2]) → [width], the region marker set. */
function regionEncoder(name: string, inputs: number, width: number): Uint8Array {
  const graph = new OnnxGraph(name, name.length * 7);
  const input = graph.input("input", "float", [inputs]);
  const row = graph.node("Unsqueeze", [input, graph.int64s([1], [0])]);
  const projected = graph.node("Reshape", [graph.node("MatMul", [row, graph.weight([inputs, width], 1)]), graph.int64s([1], [width])]);
  const marker = new Float32Array(width);
  marker[width - 1] = 1;
  graph.output(graph.node("Add", [withoutMarkers(graph, projected, width), graph.floats([width], marker)]), "output", "float", [width]);
  return graph.toBytes();
}

/** coord_decoder ([width] → [bins]) or size_decoder ([width] → [2, bins]). */
function regionDecoder(name: string, outputs: number, width: number): Uint8Array {
  const graph = new OnnxGraph(name, name.length * 13);
  const input = graph.input("input", "float", [width]);
  const row = graph.node("Unsqueeze", [input, graph.int64s([1], [0])]);
  const logits = graph.node("MatMul", [row, graph.weight([width, outputs * bins], 1)]);
  const dims = outputs === 1 ? [bins] : [outputs, bins];
  graph.output(graph.node("Reshape", [logits, graph.int64s([dims.length], dims)]), "output", "float", dims);
  return graph.toBytes();
}

interface Script {
  vocabulary: number;
  wordCount: number;
  regionSteps: number;
  endless: boolean;
  /** Tokens a prompt ends with: the caption's first word follows them. */
  promptEnds: number[];
}

/**
 * text_decoder: input_embeds [1, S, width] and kv_cache [layers, 2, 1, heads, P, head width]
 * (float16) → hidden [1, S, width], new_kv_cache [layers, 2, 1, heads, S, head width] (float16),
 * logits [1, vocabulary].
 */
function textDecoder(script: Script, shape: MoonfileShape): Uint8Array {
  const { width, heads, layers } = shape;
  const { vocabulary } = script;
  const headWidth = width / heads;
  const graph = new OnnxGraph("text_decoder", 43);
  const embeds = graph.input("input_embeds", "float", [1, "sequence_length", width]);
  const past = graph.node("Cast", [graph.input("kv_cache", "float16", [layers, 2, 1, heads, "past_sequence_length", headWidth])], {
    to: 1,
  });
  // Layer 0's key projection: head 0, element 0 is the region marker itself (the counter the script reads back).
  const keyWeights = new Float32Array(width * width);
  let state = 777;
  for (let index = 0; index < keyWeights.length; index++) {
    state = (state * 1103515245 + 12345) >>> 0;
    keyWeights[index] = (state / 4294967296 - 0.5) * 0.1;
  }
  for (let row = 0; row < width; row++) keyWeights[row * width] = row === width - 1 ? 1 : 0;
  const asCacheEntry = (tensor: string) => graph.node("Unsqueeze", [tensor, graph.int64s([2], [0, 1])]);

  let hidden = embeds;
  const updates: string[] = [];
  let firstKeys = "";
  for (let layer = 0; layer < layers; layer++) {
    const normed = layerNorm(graph, hidden, width);
    const keys =
      layer === 0
        ? graph.node(
            "Transpose",
            [
              graph.node("Reshape", [
                graph.node("MatMul", [embeds, graph.floats([width, width], keyWeights)]),
                graph.int64s([4], [0, 0, heads, headWidth]),
              ]),
            ],
            { perm: [0, 2, 1, 3] },
          )
        : toHeads(graph, normed, width, heads);
    const values = toHeads(graph, normed, width, heads);
    updates.push(graph.node("Concat", [asCacheEntry(keys), asCacheEntry(values)], { axis: 1 }));
    const cached = graph.node("Gather", [past, graph.int64s([], [layer])], { axis: 0 });
    const pastKeys = graph.node("Gather", [cached, graph.int64s([], [0])], { axis: 0 });
    const pastValues = graph.node("Gather", [cached, graph.int64s([], [1])], { axis: 0 });
    const allKeys = graph.node("Concat", [pastKeys, keys], { axis: 2 });
    if (layer === 0) firstKeys = allKeys;
    hidden = feedForward(
      graph,
      attend(graph, hidden, allKeys, graph.node("Concat", [pastValues, values], { axis: 2 }), width, heads),
      width,
      width * 2,
    );
  }
  const update = updates.length === 1 ? (updates[0] as string) : graph.node("Concat", updates, { axis: 0 });
  graph.output(graph.node("Cast", [update], { to: 10 }), "new_kv_cache", "float16", [layers, 2, 1, heads, "sequence_length", headWidth]);
  graph.output(hidden, "hidden", "float", [1, "sequence_length", width]);

  // The last position's hidden state and its input's token marker.
  const last = graph.node("Sub", [
    graph.node("Gather", [graph.node("Shape", [embeds]), graph.int64s([], [1])], { axis: 0 }),
    graph.int64s([], [1]),
  ]);
  const lastHidden = graph.node("Gather", [hidden, last], { axis: 1 });
  const lastInput = graph.node("Gather", [embeds, last], { axis: 1 });
  const markerValue = graph.node("Gather", [lastInput, graph.int64s([1], [width - 2])], { axis: 1 });
  const marker = graph.node("Cast", [graph.node("Round", [markerValue])], { to: 7 });
  // Only the rows a script can reach: the prompt ends and the words (others are zero).
  const table = new Float32Array((vocabulary + 1) * vocabulary);
  const follow = (token: number, next: number) => {
    table[(token + 1) * vocabulary + next] = 50;
  };
  for (const token of script.promptEnds) follow(token, firstWord);
  const afterLast = script.endless ? firstWord : eos;
  for (let word = 0; word < script.wordCount; word++)
    follow(firstWord + word, word + 1 < script.wordCount ? firstWord + word + 1 : afterLast);
  const rows = firstWord + script.wordCount + 1;
  const scripted = graph.node(
    "Gather",
    [graph.floats([rows, vocabulary], table.subarray(0, rows * vocabulary)), graph.node("Min", [marker, graph.int64s([], [rows - 1])])],
    {
      axis: 0,
    },
  );
  const scriptedRow = graph.node("Reshape", [scripted, graph.int64s([2], [1, vocabulary])]);

  // Region embeddings seen so far (cache and this step): head 0, element 0 of every layer-0 key.
  const counted = graph.node("Slice", [firstKeys, graph.int64s([2], [0, 0]), graph.int64s([2], [1, 1]), graph.int64s([2], [1, 3])]);
  const regions = graph.node("ReduceSum", [counted], { keepdims: 0 });
  const done = graph.node("Cast", [graph.node("Greater", [regions, graph.floats([], [script.regionSteps - 0.5])])], { to: 1 });
  const eosRow = new Float32Array(vocabulary);
  eosRow[eos] = 100;
  const stop = graph.node("Mul", [graph.floats([1, vocabulary], eosRow), done]);

  const head = graph.node("MatMul", [layerNorm(graph, lastHidden, width), graph.weight([width, vocabulary], 0.1)]);
  graph.output(graph.node("Add", [graph.node("Add", [head, scriptedRow]), stop]), "logits", "float", [1, vocabulary]);
  return graph.toBytes();
}

/** initial_kv_cache.npy: one position of float16 cache, the counter element zero. */
function initialCache(shape: MoonfileShape): Buffer {
  const headWidth = shape.width / shape.heads;
  const dims = [shape.layers, 2, 1, shape.heads, 1, headWidth];
  const values = new Float32Array(dims.reduce((product, dim) => product * dim, 1));
  for (let index = 0; index < values.length; index++) values[index] = index % headWidth === 0 ? 0 : Math.sin(index) * 0.1;
  const header = `{'descr': '<f2', 'fortran_order': False, 'shape': (${dims.join(", ")}), }`;
  const padded = `${header.padEnd(Math.ceil((10 + header.length + 1) / 64) * 64 - 10 - 1, " ")}\n`;
  const prefix = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(prefix);
  prefix.writeUInt16LE(padded.length, 8);
  return Buffer.concat([prefix, Buffer.from(padded, "latin1"), Buffer.from(toFloat16Array(values).buffer)]);
}

/** A GPT-2-style byte-level BPE without merges (text encodes byte by byte), plus whole-word tokens for the script. */
function tokenizer(wordTokens: string[], filler: number) {
  const vocab: Record<string, number> = { "<|endoftext|>": eos };
  byteCharacters().forEach((character, byte) => {
    vocab[character] = firstByte + byte;
  });
  wordTokens.forEach((token, index) => {
    vocab[token] = firstWord + index;
  });
  for (let index = 0; index < filler; index++) vocab[`<filler_${index}>`] = firstWord + wordTokens.length + index;
  return byteLevelTokenizer(vocab, [specialToken(eos, "<|endoftext|>")]);
}
