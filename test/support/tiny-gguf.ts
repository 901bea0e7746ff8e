import { once } from "node:events";
import { createWriteStream, readFileSync, truncateSync, writeFileSync } from "node:fs";

/**
 * Writes small random-weight GGUF models at test time (no weights are ever downloaded).
 * Llama architecture, a SentencePiece ("llama") vocabulary with byte fallback so every
 * string can be tokenised, ChatML control tokens and a ChatML chat template.
 * Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
 */
export interface TinyGgufOptions {
  embeddingLength?: number;
  blockCount?: number;
  feedForwardLength?: number;
  headCount?: number;
  headCountKv?: number;
  contextLength?: number;
  /** "f32" for tests (exact, a few hundred KB), "f16" for the bench's larger models. */
  tensorType?: "f32" | "f16";
  seed?: number;
  /** Metadata keys to leave out (header-incomplete variants). */
  omitKeys?: string[];
  name?: string;
  chatTemplate?: string | null;
  /**
   * Zero the output rows of control and byte tokens, so greedy decoding only ever picks printable
   * tokens: every token is a text chunk (the bench times chunks) and generation never ends early.
   */
  textOnly?: boolean;
  /** Tokens appended to the vocabulary (SentencePiece spelling: "▁" for a leading space). */
  extraTokens?: string[];
  /** Overrides weights: row and column of the element in GGUF order (column = position in ne[0]). */
  valueFor?(tensorName: string, row: number, column: number): number | undefined;
}

export const chatMlTemplate =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** <unk>, <s>, </s>, two ChatML controls, 256 byte tokens: everything before "▁". */
const firstPrintableToken = 5 + 256;

const words = [
  "▁the",
  "▁a",
  "▁is",
  "▁of",
  "▁and",
  "▁to",
  "▁in",
  "▁it",
  "▁hello",
  "▁world",
  "▁yes",
  "▁no",
  "▁ok",
  "▁tool",
  "▁call",
  "▁json",
];

/** Token list, scores and types: <unk>, <s>, </s>, ChatML controls, 256 byte tokens, "▁", printable ASCII, a few words. */
export function tinyVocabulary(): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens: string[] = [];
  const scores: number[] = [];
  const types: number[] = [];
  const add = (token: string, score: number, type: number) => {
    tokens.push(token);
    scores.push(score);
    types.push(type);
  };
  add("<unk>", 0, 2);
  add("<s>", 0, 3);
  add("</s>", 0, 3);
  add("<|im_start|>", 0, 3);
  add("<|im_end|>", 0, 3);
  for (let byte = 0; byte < 256; byte++) add(`<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`, 0, 6);
  add("▁", -1, 1);
  for (let code = 33; code < 127; code++) add(String.fromCharCode(code), -2, 1);
  for (const [index, word] of words.entries()) add(word, -3 - index / 100, 1);
  return { tokens, scores, types };
}

enum ValueType {
  Uint32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
}

type MetadataValue =
  | { type: ValueType.Uint32 | ValueType.Int32 | ValueType.Float32; value: number }
  | { type: ValueType.Bool; value: boolean }
  | { type: ValueType.String; value: string }
  | { type: ValueType.Array; itemType: ValueType.String; value: string[] }
  | { type: ValueType.Array; itemType: ValueType.Float32 | ValueType.Int32; value: number[] };

class ByteWriter {
  private readonly chunks: Buffer[] = [];
  length = 0;
  push(buffer: Buffer) {
    this.chunks.push(buffer);
    this.length += buffer.length;
  }
  u32(value: number) {
    const buffer = Buffer.alloc(4);
    buffer.writeUInt32LE(value);
    this.push(buffer);
  }
  i32(value: number) {
    const buffer = Buffer.alloc(4);
    buffer.writeInt32LE(value);
    this.push(buffer);
  }
  u64(value: number | bigint) {
    const buffer = Buffer.alloc(8);
    buffer.writeBigUInt64LE(BigInt(value));
    this.push(buffer);
  }
  f32(value: number) {
    const buffer = Buffer.alloc(4);
    buffer.writeFloatLE(value);
    this.push(buffer);
  }
  string(value: string) {
    const bytes = Buffer.from(value, "utf8");
    this.u64(bytes.length);
    this.push(bytes);
  }
  toBuffer() {
    return Buffer.concat(this.chunks);
  }
}

function writeValue(writer: ByteWriter, entry: MetadataValue) {
  writer.u32(entry.type);
  switch (entry.type) {
    case ValueType.Uint32:
      writer.u32(entry.value);
      break;
    case ValueType.Int32:
      writer.i32(entry.value);
      break;
    case ValueType.Float32:
      writer.f32(entry.value);
      break;
    case ValueType.Bool:
      writer.push(Buffer.from([entry.value ? 1 : 0]));
      break;
    case ValueType.String:
      writer.string(entry.value);
      break;
    case ValueType.Array:
      writer.u32(entry.itemType);
      writer.u64(entry.value.length);
      for (const item of entry.value) {
        if (entry.itemType === ValueType.String) writer.string(item as string);
        else if (entry.itemType === ValueType.Int32) writer.i32(item as number);
        else writer.f32(item as number);
      }
      break;
  }
}

interface TensorSpec {
  name: string;
  /** GGUF order: ne[0] (innermost, the row length) first. */
  dimensions: number[];
  /** "norm" tensors are ones (RMS norm weights), "weight" tensors random. */
  kind: "norm" | "weight";
}

const alignment = 32;

/** Mulberry32: a tiny deterministic PRNG so a seed always gives the same model. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const float32 = new Float32Array(1);
const int32 = new Int32Array(float32.buffer);
/** IEEE half from a float (round toward zero; precision does not matter for random weights). */
function toHalf(value: number): number {
  float32[0] = value;
  const bits = int32[0] as number;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  const mantissa = (bits >>> 13) & 0x3ff;
  if (exponent <= 0) return sign;
  if (exponent >= 31) return sign | 0x7bff;
  return sign | (exponent << 10) | mantissa;
}

/** Writes a tiny llama-architecture GGUF and returns its size in bytes. */
export async function writeTinyGguf(filePath: string, options: TinyGgufOptions = {}): Promise<number> {
  const embedding = options.embeddingLength ?? 64;
  const blocks = options.blockCount ?? 2;
  const feedForward = options.feedForwardLength ?? 128;
  const heads = options.headCount ?? 4;
  const headsKv = options.headCountKv ?? heads;
  const headDimension = embedding / heads;
  const tensorType = options.tensorType ?? "f32";
  const random = createRandom(options.seed ?? 42);
  const vocabulary = tinyVocabulary();
  for (const token of options.extraTokens ?? []) {
    if (vocabulary.tokens.includes(token)) continue;
    vocabulary.tokens.push(token);
    vocabulary.scores.push(-1);
    vocabulary.types.push(1);
  }
  const vocabularySize = vocabulary.tokens.length;
  const omit = new Set(options.omitKeys ?? []);

  const metadata: [string, MetadataValue][] = [
    ["general.architecture", { type: ValueType.String, value: "llama" }],
    ["general.name", { type: ValueType.String, value: options.name ?? "station-tiny" }],
    ["general.alignment", { type: ValueType.Uint32, value: alignment }],
    ["general.file_type", { type: ValueType.Uint32, value: tensorType === "f32" ? 0 : 1 }],
    ["llama.context_length", { type: ValueType.Uint32, value: options.contextLength ?? 2048 }],
    ["llama.embedding_length", { type: ValueType.Uint32, value: embedding }],
    ["llama.block_count", { type: ValueType.Uint32, value: blocks }],
    ["llama.feed_forward_length", { type: ValueType.Uint32, value: feedForward }],
    ["llama.attention.head_count", { type: ValueType.Uint32, value: heads }],
    ["llama.attention.head_count_kv", { type: ValueType.Uint32, value: headsKv }],
    ["llama.attention.layer_norm_rms_epsilon", { type: ValueType.Float32, value: 1e-5 }],
    ["llama.rope.dimension_count", { type: ValueType.Uint32, value: headDimension }],
    ["llama.rope.freq_base", { type: ValueType.Float32, value: 10000 }],
    ["llama.vocab_size", { type: ValueType.Uint32, value: vocabularySize }],
    ["tokenizer.ggml.model", { type: ValueType.String, value: "llama" }],
    ["tokenizer.ggml.tokens", { type: ValueType.Array, itemType: ValueType.String, value: vocabulary.tokens }],
    ["tokenizer.ggml.scores", { type: ValueType.Array, itemType: ValueType.Float32, value: vocabulary.scores }],
    ["tokenizer.ggml.token_type", { type: ValueType.Array, itemType: ValueType.Int32, value: vocabulary.types }],
    ["tokenizer.ggml.unknown_token_id", { type: ValueType.Uint32, value: 0 }],
    ["tokenizer.ggml.bos_token_id", { type: ValueType.Uint32, value: 1 }],
    ["tokenizer.ggml.eos_token_id", { type: ValueType.Uint32, value: 4 }],
    ["tokenizer.ggml.add_bos_token", { type: ValueType.Bool, value: true }],
    ["tokenizer.ggml.add_eos_token", { type: ValueType.Bool, value: false }],
  ];
  if (options.chatTemplate !== null) {
    metadata.push(["tokenizer.chat_template", { type: ValueType.String, value: options.chatTemplate ?? chatMlTemplate }]);
  }
  const keptMetadata = metadata.filter(([key]) => !omit.has(key));

  const tensors: TensorSpec[] = [
    { name: "token_embd.weight", dimensions: [embedding, vocabularySize], kind: "weight" },
    { name: "output_norm.weight", dimensions: [embedding], kind: "norm" },
    { name: "output.weight", dimensions: [embedding, vocabularySize], kind: "weight" },
  ];
  for (let block = 0; block < blocks; block++) {
    const prefix = `blk.${block}.`;
    tensors.push(
      { name: `${prefix}attn_norm.weight`, dimensions: [embedding], kind: "norm" },
      { name: `${prefix}attn_q.weight`, dimensions: [embedding, embedding], kind: "weight" },
      { name: `${prefix}attn_k.weight`, dimensions: [embedding, headDimension * headsKv], kind: "weight" },
      { name: `${prefix}attn_v.weight`, dimensions: [embedding, headDimension * headsKv], kind: "weight" },
      { name: `${prefix}attn_output.weight`, dimensions: [embedding, embedding], kind: "weight" },
      { name: `${prefix}ffn_norm.weight`, dimensions: [embedding], kind: "norm" },
      { name: `${prefix}ffn_gate.weight`, dimensions: [embedding, feedForward], kind: "weight" },
      { name: `${prefix}ffn_down.weight`, dimensions: [feedForward, embedding], kind: "weight" },
      { name: `${prefix}ffn_up.weight`, dimensions: [embedding, feedForward], kind: "weight" },
    );
  }

  const header = new ByteWriter();
  header.push(Buffer.from("GGUF", "ascii"));
  header.u32(3);
  header.u64(tensors.length);
  header.u64(keptMetadata.length);
  for (const [key, value] of keptMetadata) {
    header.string(key);
    writeValue(header, value);
  }
  let offset = 0;
  const layout: { spec: TensorSpec; offset: number; bytes: number; type: number }[] = [];
  for (const spec of tensors) {
    // Norm weights stay F32, as real converters write them.
    const type = spec.kind === "norm" || tensorType === "f32" ? 0 : 1;
    const elements = spec.dimensions.reduce((product, dimension) => product * dimension, 1);
    const bytes = elements * (type === 0 ? 4 : 2);
    header.string(spec.name);
    header.u32(spec.dimensions.length);
    for (const dimension of spec.dimensions) header.u64(dimension);
    header.u32(type);
    header.u64(offset);
    layout.push({ spec, offset, bytes, type });
    offset += Math.ceil(bytes / alignment) * alignment;
  }
  const headerPadding = (alignment - (header.length % alignment)) % alignment;
  header.push(Buffer.alloc(headerPadding));

  const stream = createWriteStream(filePath);
  const write = async (buffer: Buffer) => {
    if (!stream.write(buffer)) await once(stream, "drain");
  };
  await write(header.toBuffer());
  let written = 0;
  for (const tensor of layout) {
    const elements = tensor.bytes / (tensor.type === 0 ? 4 : 2);
    const scale = tensor.spec.kind === "norm" ? 0 : 1 / Math.sqrt(tensor.spec.dimensions[0] as number);
    const silencedElements = options.textOnly === true && tensor.spec.name === "output.weight" ? firstPrintableToken * embedding : 0;
    const chunkElements = 1 << 20;
    for (let start = 0; start < elements; start += chunkElements) {
      const count = Math.min(chunkElements, elements - start);
      const buffer = Buffer.alloc(count * (tensor.type === 0 ? 4 : 2));
      for (let index = 0; index < count; index++) {
        const element = start + index;
        const rowLength = tensor.spec.dimensions[0] as number;
        const override = options.valueFor?.(tensor.spec.name, Math.floor(element / rowLength), element % rowLength);
        const value = override ?? (tensor.spec.kind === "norm" ? 1 : element < silencedElements ? 0 : (random() * 2 - 1) * scale * 1.7);
        if (tensor.type === 0) buffer.writeFloatLE(value, index * 4);
        else buffer.writeUInt16LE(toHalf(value), index * 2);
      }
      await write(buffer);
    }
    const padding = Math.ceil(tensor.bytes / alignment) * alignment - tensor.bytes;
    if (padding > 0) await write(Buffer.alloc(padding));
    written += tensor.bytes + padding;
  }
  stream.end();
  await once(stream, "finish");
  return header.length + written;
}

/** Variants for the error paths. */
export async function writeHeaderIncompleteGguf(filePath: string): Promise<void> {
  await writeTinyGguf(filePath, { omitKeys: ["llama.attention.head_count"] });
}

/** A valid header whose tensor data is cut off half way. */
export async function writeTruncatedGguf(filePath: string): Promise<void> {
  const size = await writeTinyGguf(filePath);
  truncateSync(filePath, Math.floor(size / 2));
}

/** Starts like a GGUF, then garbage: the metadata cannot be parsed. */
export function writeCorruptGguf(filePath: string, sourcePath?: string): void {
  const valid = sourcePath === undefined ? undefined : readFileSync(sourcePath);
  const garbage = Buffer.alloc(4096);
  for (let index = 0; index < garbage.length; index++) garbage[index] = (index * 131 + 7) & 0xff;
  Buffer.from("GGUF").copy(garbage, 0);
  garbage.writeUInt32LE(3, 4);
  if (valid !== undefined && valid.length > 64) valid.subarray(0, 24).copy(garbage, 0);
  writeFileSync(filePath, garbage);
}

/**
 * A "scripted" model: attention and feed-forward weights are zero and embeddings one-hot, so the
 * next token depends only on the current one (a bigram table in output.weight). After the last
 * prompt token ("\n" closing the ChatML generation prompt) greedy decoding emits `script` token by
 * token, then <|im_end|>. Lets tests drive real generation (tool calls, stop sequences) exactly.
 * Script tokens must be distinct and must not be "\n".
 */
export async function writeScriptedGguf(filePath: string, script: string[]): Promise<void> {
  const vocabulary = tinyVocabulary();
  const extraTokens = script.filter((token) => !vocabulary.tokens.includes(token));
  const tokens = [...vocabulary.tokens, ...extraTokens];
  const idOf = (token: string) => tokens.indexOf(token);
  const next = new Map<number, number>();
  const chain = [idOf("<0x0A>"), ...script.map(idOf), 4];
  for (let index = 0; index < chain.length - 1; index++) next.set(chain[index] as number, chain[index + 1] as number);
  const embedding = Math.ceil(tokens.length / 8) * 8;
  await writeTinyGguf(filePath, {
    embeddingLength: embedding,
    blockCount: 1,
    feedForwardLength: 8,
    headCount: 4,
    extraTokens,
    valueFor(tensorName, row, column) {
      if (tensorName === "token_embd.weight") return row === column ? 1 : 0;
      if (tensorName === "output.weight") return (next.get(column) ?? 4) === row ? 10 : 0;
      if (tensorName.endsWith("norm.weight")) return 1;
      return 0;
    },
  });
}
