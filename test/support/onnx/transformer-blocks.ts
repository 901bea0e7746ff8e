import type { OnnxGraph } from "./onnx-graph.ts";

/** Building blocks for random-weight transformer graphs (pre-norm residual blocks, multi-head attention). */
export function layerNorm(graph: OnnxGraph, x: string, width: number): string {
  return graph.node(
    "LayerNormalization",
    [x, graph.floats([width], new Float32Array(width).fill(1)), graph.floats([width], new Float32Array(width))],
    {
      axis: -1,
      epsilon: { float: 1e-5 },
    },
  );
}

/** x + W2·relu(W1·norm(x)) */
export function feedForward(graph: OnnxGraph, x: string, width: number, hidden: number): string {
  const up = graph.node("MatMul", [layerNorm(graph, x, width), graph.weight([width, hidden])]);
  const down = graph.node("MatMul", [graph.node("Relu", [up]), graph.weight([hidden, width])]);
  return graph.node("Add", [x, down]);
}

/** [B, S, D] → [B, H, S, D/H] after a projection. */
export function toHeads(graph: OnnxGraph, x: string, width: number, heads: number): string {
  const projected = graph.node("MatMul", [x, graph.weight([width, width])]);
  const split = graph.node("Reshape", [projected, graph.int64s([4], [0, 0, heads, width / heads])]);
  return graph.node("Transpose", [split], { perm: [0, 2, 1, 3] });
}

/** x + Wo·softmax(QKᵀ/√d)V with keys and values already in heads. */
export function attend(graph: OnnxGraph, x: string, keys: string, values: string, width: number, heads: number): string {
  return attendWithWeights(graph, x, keys, values, width, heads).output;
}

/** attend(), also naming its attention weights softmax(QKᵀ/√d): [batch, heads, target length, source length]. */
export function attendWithWeights(
  graph: OnnxGraph,
  x: string,
  keys: string,
  values: string,
  width: number,
  heads: number,
): { output: string; weights: string } {
  const query = toHeads(graph, layerNorm(graph, x, width), width, heads);
  const scores = graph.node("MatMul", [query, graph.node("Transpose", [keys], { perm: [0, 1, 3, 2] })]);
  const scaled = graph.node("Mul", [scores, graph.floats([], [1 / Math.sqrt(width / heads)])]);
  const weights = graph.node("Softmax", [scaled], { axis: -1 });
  const mixed = graph.node("Transpose", [graph.node("MatMul", [weights, values])], { perm: [0, 2, 1, 3] });
  const merged = graph.node("Reshape", [mixed, graph.int64s([3], [0, 0, width])]);
  return { output: graph.node("Add", [x, graph.node("MatMul", [merged, graph.weight([width, width])])]), weights };
}

/** x * mask (broadcast over the last axis): consumes an attention mask the way exporters' graphs do. */
export function applyMask(graph: OnnxGraph, x: string, mask: string): string {
  const expanded = graph.node("Unsqueeze", [mask, graph.int64s([1], [-1])]);
  return graph.node("Mul", [x, graph.node("Cast", [expanded], { to: 1 })]);
}
