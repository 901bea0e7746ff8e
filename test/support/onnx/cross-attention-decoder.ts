import { OnnxGraph } from "./onnx-graph.ts";
import { attend, attendWithWeights, feedForward, layerNorm, toHeads } from "./transformer-blocks.ts";

export interface CrossAttentionDecoderOptions {
  width: number;
  heads: number;
  layers: number;
  /** The feed-forward width. */
  hidden: number;
  vocabulary: number;
  /** Graph seed (the weights drawn). */
  seed: number;
  /**
   * Adds the scripted term to the language head's [batch, sequence, vocabulary] logits, reading
   * `input_ids` or the cache (`present.0.decoder.key` holds every position so far).
   */
  script(graph: OnnxGraph, inputIds: string): string;
  /**
   * Also outputs each layer's cross-attention weights as `cross_attentions.<layer>`
   * [batch, heads, decoder_sequence_length, encoder_sequence_length_out], as the exports made with
   * `output_attentions` (word timestamps) do; they come after the cache outputs.
   */
  crossAttentions?: boolean;
  /**
   * A scripted term added to every head's `cross_attentions.<layer>` output (not to what the
   * decoder computes with), [batch, decoder_sequence_length, encoder_sequence_length_out], so a
   * writer can say which frames each token attends to.
   */
  alignment?(graph: OnnxGraph, inputIds: string): string;
}

/**
 * The `decoder_model_merged.onnx` of a speech encoder-decoder in the layout of the onnx-community
 * exports (Moonshine, Whisper): token embedding, self-attention over the growing cache,
 * cross-attention whose keys/values come from the encoder on the first step
 * (use_cache_branch false) and from the cache afterwards, then a random language head plus the
 * writer's scripted logits.
 */
export function crossAttentionDecoder(options: CrossAttentionDecoderOptions): { bytes: Uint8Array; parameters: number } {
  const { width, heads, layers, hidden, vocabulary } = options;
  const headWidth = width / heads;
  const graph = new OnnxGraph("decoder_model_merged", options.seed);
  const ids = graph.input("input_ids", "int64", ["batch_size", "decoder_sequence_length"]);
  const encoderStates = graph.input("encoder_hidden_states", "float", ["batch_size", "encoder_sequence_length", width]);
  const useCache = graph.input("use_cache_branch", "bool", [1]);
  const crossDims = ["batch_size", heads, "encoder_sequence_length_out", headWidth];
  let hiddenState = graph.node("Gather", [graph.weight([vocabulary, width], 1), ids], { axis: 0 });
  const crossWeights: string[] = [];
  for (let layer = 0; layer < layers; layer++) {
    const cache = (kind: string, length: string) =>
      graph.input(`past_key_values.${layer}.${kind}`, "float", ["batch_size", heads, length, headWidth]);
    const pastKey = cache("decoder.key", "past_decoder_sequence_length");
    const pastValue = cache("decoder.value", "past_decoder_sequence_length");
    const pastEncoderKey = cache("encoder.key", "encoder_sequence_length_out");
    const pastEncoderValue = cache("encoder.value", "encoder_sequence_length_out");
    const fromCache = graph.branch(`use_cache_${layer}`);
    const fromEncoder = graph.branch(`compute_cross_attention_${layer}`);
    for (const [kind, pastName] of [
      ["key", pastEncoderKey],
      ["value", pastEncoderValue],
    ] as const) {
      fromCache.output(fromCache.node("Identity", [pastName]), `present.${layer}.encoder.${kind}_cached`, "float", crossDims);
      fromEncoder.output(
        toHeads(fromEncoder, encoderStates, width, heads),
        `present.${layer}.encoder.${kind}_computed`,
        "float",
        crossDims,
      );
    }
    graph.nodeWithOutputs("If", [useCache], [`present.${layer}.encoder.key`, `present.${layer}.encoder.value`], {
      then_branch: { graph: fromCache },
      else_branch: { graph: fromEncoder },
    });
    const normed = layerNorm(graph, hiddenState, width);
    const key = graph.node("Concat", [pastKey, toHeads(graph, normed, width, heads)], { axis: 2 }, `present.${layer}.decoder.key`);
    const value = graph.node("Concat", [pastValue, toHeads(graph, normed, width, heads)], { axis: 2 }, `present.${layer}.decoder.value`);
    hiddenState = attend(graph, hiddenState, key, value, width, heads);
    const cross = attendWithWeights(graph, hiddenState, `present.${layer}.encoder.key`, `present.${layer}.encoder.value`, width, heads);
    crossWeights.push(cross.weights);
    hiddenState = cross.output;
    hiddenState = feedForward(graph, hiddenState, width, hidden);
  }
  const head = graph.node("MatMul", [layerNorm(graph, hiddenState, width), graph.weight([width, vocabulary])]);
  graph.output(graph.node("Add", [head, options.script(graph, ids)]), "logits", "float", [
    "batch_size",
    "decoder_sequence_length",
    vocabulary,
  ]);
  for (let layer = 0; layer < layers; layer++) {
    for (const kind of ["decoder.key", "decoder.value"])
      graph.output(`present.${layer}.${kind}`, `present.${layer}.${kind}`, "float", [
        "batch_size",
        heads,
        "total_sequence_length",
        headWidth,
      ]);
    for (const kind of ["encoder.key", "encoder.value"])
      graph.output(`present.${layer}.${kind}`, `present.${layer}.${kind}`, "float", crossDims);
  }
  const alignment = options.crossAttentions === true && options.alignment !== undefined ? options.alignment(graph, ids) : undefined;
  if (options.crossAttentions === true)
    crossWeights.forEach((weights, layer) => {
      const scripted =
        alignment === undefined ? weights : graph.node("Add", [weights, graph.node("Unsqueeze", [alignment, graph.int64s([1], [1])])]);
      graph.output(scripted, `cross_attentions.${layer}`, "float", [
        "batch_size",
        heads,
        "decoder_sequence_length",
        "encoder_sequence_length_out",
      ]);
    });
  return { bytes: graph.toBytes(), parameters: graph.parameterCount() };
}
