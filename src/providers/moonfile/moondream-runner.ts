import type { InferenceSession, Tensor } from "onnxruntime-node";
import type { BoundingBox, Point } from "../spec/vision-model.ts";
import { combinePatchFeatures, createImagePatches } from "./create-image-patches.ts";
import type { KeyValueCache } from "./key-value-cache.ts";
import type { MoonfileConfig, MoonfileGraph } from "./moonfile-config.ts";
import { argmax, asType, floatsOf, floatTensor, idTensor, inputType, type Ort, runFirst } from "./onnx-values.ts";

/** An image run through the vision encoder, the projection and the decoder: the cache every question continues from. */
export interface EncodedImage {
  cache: KeyValueCache;
  readonly byteLength: number;
}

export interface MoondreamTokenizer {
  encode(text: string): number[];
  decode(ids: number[], options?: { skip_special_tokens?: boolean }): string;
}

export interface MoondreamRunner {
  encodeImage(image: Uint8Array): Promise<EncodedImage>;
  encode(text: string): number[];
  generate(
    prompt: number[],
    image: EncodedImage,
    maxTokens: number,
    signal: AbortSignal | undefined,
    onText?: (text: string) => void,
  ): Promise<{ text: string; tokens: number }>;
  detect(prompt: number[], image: EncodedImage, signal: AbortSignal | undefined): Promise<BoundingBox[]>;
  point(prompt: number[], image: EncodedImage, signal: AbortSignal | undefined): Promise<Point[]>;
}

export interface MoondreamRunnerOptions {
  ort: Ort;
  graphs: Record<MoonfileGraph, InferenceSession>;
  tokenizer: MoondreamTokenizer;
  config: MoonfileConfig;
  initialCache: KeyValueCache;
}

/** onnx_vl.py stops detect and point after 50 objects. */
const maxObjects = 50;
/** The client's cache holds 2048 positions (prepare_kv_cache): the models were not run past it. */
const maxPositions = 2048;
/** preprocess.py's crop size, when the vision encoder's input does not fix it. */
const defaultPatchSize = 378;

/**
 * onnx_vl.py's OnnxVL in TypeScript: encode_image, the greedy generation loop with the key/value
 * cache, and detect/point's coordinate and size decoding (argmax over bins, divided by the bin
 * count; boxes are centre ± size / 2). Inputs take the element type each graph declares, as
 * ONNX Runtime does for the client's plain lists.
 */
export function createMoondreamRunner(options: MoondreamRunnerOptions): MoondreamRunner {
  const { ort, graphs, tokenizer, config } = options;
  const eos = config.special_tokens.eos;
  const decoderEmbedsType = inputType(graphs.text_decoder, "input_embeds");
  const patchDims = graphs.vision_encoder.inputMetadata[0];
  const fixedSize = patchDims?.isTensor === true ? patchDims.shape.at(-1) : undefined;
  const patchSize = typeof fixedSize === "number" && fixedSize > 0 ? fixedSize : defaultPatchSize;

  const encodeText = async (ids: number[]): Promise<Tensor> =>
    runFirst(graphs.text_encoder, { input_ids: idTensor(ort, inputType(graphs.text_encoder, "input_ids"), ids) });

  /** One decoder step: logits and hidden states for the positions in `embeds`, and the cache grown by them. */
  const decode = async (embeds: Tensor, cache: KeyValueCache, outputs: string[]) => {
    const result = await graphs.text_decoder.run(
      { input_embeds: asType(ort, decoderEmbedsType, embeds), kv_cache: cache.tensor(ort) },
      outputs,
    );
    const update = result.new_kv_cache as Tensor | undefined;
    if (update === undefined) throw new Error("the text decoder gave no new_kv_cache");
    return { logits: result.logits as Tensor, hidden: result.hidden as Tensor, cache: cache.append(update) };
  };

  const nextToken = (logits: Tensor): number => {
    const vocabulary = logits.dims.at(-1) ?? logits.size;
    return argmax(logits, logits.size - vocabulary, vocabulary);
  };

  /** hidden[0, -1, :] as a 1-D tensor for the coordinate and size decoders. */
  const lastHidden = (hidden: Tensor, graph: InferenceSession): Tensor => {
    const width = hidden.dims.at(-1) ?? hidden.size;
    const values = floatsOf(hidden).subarray(hidden.size - width);
    return floatTensor(ort, inputType(graph, "input"), values, [width]);
  };

  /** An encoder's output as the next decoder input, [1, 1, width]. */
  const asStep = (tensor: Tensor): Tensor => new ort.Tensor(tensor.type, tensor.data as Float32Array, [1, 1, tensor.size]);

  /** A coordinate (0..1): the coordinate decoder's best bin over the bin count, fed back through the coordinate encoder. */
  const coordinate = async (hidden: Tensor): Promise<{ value: number; next: Tensor }> => {
    const bins = await runFirst(graphs.coord_decoder, { input: lastHidden(hidden, graphs.coord_decoder) });
    const count = bins.dims.at(-1) ?? bins.size;
    const value = argmax(bins, 0, count) / count;
    const encoded = await runFirst(graphs.coord_encoder, {
      input: floatTensor(ort, inputType(graphs.coord_encoder, "input"), [value], [1]),
    });
    return { value, next: asStep(encoded) };
  };

  const locate = async (prompt: number[], image: EncodedImage, signal: AbortSignal | undefined, withSize: boolean) => {
    let hidden = await encodeText(prompt);
    let cache = image.cache;
    const found: { x: number; y: number; width: number; height: number }[] = [];
    // An object takes 3 positions (x, y, size), a point 2; the first step also holds the prompt.
    while (found.length < maxObjects && cache.positions + (hidden.dims.at(-2) ?? 1) + 3 <= maxPositions) {
      signal?.throwIfAborted();
      const step = await decode(hidden, cache, ["hidden", "new_kv_cache", "logits"]);
      cache = step.cache;
      if (nextToken(step.logits) === eos) break;
      const x = await coordinate(step.hidden);
      const afterX = await decode(x.next, cache, ["hidden", "new_kv_cache", "logits"]);
      cache = afterX.cache;
      const y = await coordinate(afterX.hidden);
      if (!withSize) {
        found.push({ x: x.value, y: y.value, width: 0, height: 0 });
        hidden = y.next;
        continue;
      }
      const afterY = await decode(y.next, cache, ["hidden", "new_kv_cache", "logits"]);
      cache = afterY.cache;
      const size = await runFirst(graphs.size_decoder, { input: lastHidden(afterY.hidden, graphs.size_decoder) });
      const bins = size.dims.at(-1) ?? size.size / 2;
      const width = argmax(size, 0, bins) / bins;
      const height = argmax(size, bins, bins) / bins;
      const encodedSize = await runFirst(graphs.size_encoder, {
        input: floatTensor(ort, inputType(graphs.size_encoder, "input"), [width, height], [2]),
      });
      hidden = asStep(encodedSize);
      found.push({ x: x.value, y: y.value, width, height });
    }
    return found;
  };

  // The client does not clamp; a box reaching past the edge is clamped here so every box is inside the image.
  const clamp = (value: number) => Math.min(1, Math.max(0, value));

  return {
    encode: (text) => tokenizer.encode(text),
    async encodeImage(image) {
      const patches = await createImagePatches(image, patchSize);
      const pixels = floatTensor(ort, inputType(graphs.vision_encoder, "input"), patches.values, [patches.count, 3, patchSize, patchSize]);
      const features = await runFirst(graphs.vision_encoder, { input: pixels });
      const channels = features.dims.at(-1) ?? 1;
      const tokens = features.size / patches.count / channels;
      const combined = combinePatchFeatures(floatsOf(features), patches.count, patches.template, channels);
      const projected = await runFirst(graphs.vision_projection, {
        input: floatTensor(ort, inputType(graphs.vision_projection, "input"), combined, [1, tokens, 2 * channels]),
      });
      const { cache } = await decode(projected, options.initialCache, ["new_kv_cache"]);
      return { cache, byteLength: cache.byteLength };
    },
    async generate(prompt, image, maxTokens, signal, onText) {
      let embeds = await encodeText(prompt);
      let cache = image.cache;
      const ids: number[] = [];
      let text = "";
      while (ids.length < maxTokens && cache.positions + (embeds.dims.at(-2) ?? 1) <= maxPositions) {
        signal?.throwIfAborted();
        const step = await decode(embeds, cache, ["logits", "new_kv_cache"]);
        cache = step.cache;
        const token = nextToken(step.logits);
        if (token === eos) break;
        ids.push(token);
        // Decoded as a whole so a character split over tokens comes out once it is complete.
        const decoded = tokenizer.decode(ids, { skip_special_tokens: false });
        if (!decoded.endsWith("\uFFFD") && decoded.length > text.length) {
          const piece = decoded.slice(text.length);
          text = decoded;
          onText?.(piece);
        }
        embeds = await encodeText([token]);
      }
      const final = ids.length === 0 ? "" : tokenizer.decode(ids, { skip_special_tokens: false });
      if (final.length > text.length) onText?.(final.slice(text.length));
      return { text: final, tokens: ids.length };
    },
    async detect(prompt, image, signal) {
      return (await locate(prompt, image, signal, true)).map(({ x, y, width, height }) => ({
        x_min: clamp(x - width / 2),
        y_min: clamp(y - height / 2),
        x_max: clamp(x + width / 2),
        y_max: clamp(y + height / 2),
      }));
    },
    async point(prompt, image, signal) {
      return (await locate(prompt, image, signal, false)).map(({ x, y }) => ({ x, y }));
    },
  };
}
