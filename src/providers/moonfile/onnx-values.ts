import type { InferenceSession, Tensor } from "onnxruntime-node";
import { float16ToFloat32, fromFloat16Array, toFloat16Array } from "./float16.ts";

export type Ort = typeof import("onnxruntime-node");

/** A tensor's elements as float32, whatever float type the graph produced. */
export function floatsOf(tensor: Tensor): Float32Array {
  if (tensor.type === "float32") return tensor.data as Float32Array;
  if (tensor.type === "float16") return fromFloat16Array(tensor.data as Uint16Array);
  throw new Error(`expected a float tensor, got ${tensor.type}`);
}

/** Index of the largest element among `count` elements from `start` (numpy argmax over the last axis of one row). */
export function argmax(tensor: Tensor, start: number, count: number): number {
  const data = tensor.data as Float32Array | Uint16Array;
  const read =
    tensor.type === "float16" ? (index: number) => float16ToFloat32(data[index] as number) : (index: number) => data[index] as number;
  let best = 0;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (let index = 0; index < count; index++) {
    const value = read(start + index);
    if (value > bestValue) {
      bestValue = value;
      best = index;
    }
  }
  return best;
}

/** The element type a graph declares for an input (the client hands plain lists to ONNX Runtime, which casts them). */
export function inputType(session: InferenceSession, name: string): Tensor.Type {
  const metadata = session.inputMetadata.find((entry) => entry.name === name);
  if (metadata === undefined) throw new Error(`the graph has no input '${name}' (it has ${session.inputNames.join(", ")})`);
  if (!metadata.isTensor) throw new Error(`the graph's input '${name}' is not a tensor`);
  return metadata.type;
}

/** Float values as a tensor of the float type the input wants. */
export function floatTensor(ort: Ort, type: Tensor.Type, values: Float32Array | number[], dims: readonly number[]): Tensor {
  if (type === "float32") return new ort.Tensor("float32", values instanceof Float32Array ? values : Float32Array.from(values), dims);
  if (type === "float16") return new ort.Tensor("float16", toFloat16Array(values), dims);
  throw new Error(`expected a float input, the graph wants ${type}`);
}

/** A tensor re-typed for an input that wants another float type (outputs usually feed inputs unchanged). */
export function asType(ort: Ort, type: Tensor.Type, tensor: Tensor): Tensor {
  if (tensor.type === type) return tensor;
  return floatTensor(ort, type, floatsOf(tensor), tensor.dims);
}

/** Token ids for an integer input. */
export function idTensor(ort: Ort, type: Tensor.Type, ids: readonly number[]): Tensor {
  if (type === "int64") return new ort.Tensor("int64", BigInt64Array.from(ids.map((id) => BigInt(id))), [1, ids.length]);
  if (type === "int32") return new ort.Tensor("int32", Int32Array.from(ids), [1, ids.length]);
  throw new Error(`expected an integer input for token ids, the graph wants ${type}`);
}

/** The one output of a graph the client reads with run(None, ...)[0]. */
export async function runFirst(session: InferenceSession, feeds: Record<string, Tensor>): Promise<Tensor> {
  const name = session.outputNames[0];
  if (name === undefined) throw new Error("the graph has no outputs");
  const outputs = await session.run(feeds);
  return outputs[name] as Tensor;
}
