import { AttributeType, ModelProto, OnnxType, type OnnxTypeName } from "./onnx-schema.ts";

/** A dimension: a number, or a symbolic name ("batch_size") as exporters write for dynamic axes. */
export type Dimension = number | string;

type AttributeValue = number | number[] | string | { float: number } | { floats: number[] } | { graph: OnnxGraph };

interface Tensor {
  name: string;
  dataType: number;
  dims: number[];
  rawData: Uint8Array;
}

/**
 * A tiny ONNX graph writer for test models: typed inputs and outputs with the exact names and
 * symbolic shapes a loader expects, weights as initializers, standard-domain operators.
 */
export class OnnxGraph {
  private readonly nodes: unknown[] = [];
  private readonly initializers: Tensor[] = [];
  private readonly inputs: unknown[] = [];
  private readonly outputs: unknown[] = [];
  private counter = 0;
  private seed: number;

  constructor(
    private readonly name: string,
    seed = 1,
  ) {
    this.seed = seed;
  }

  input(name: string, type: OnnxTypeName, shape: Dimension[]): string {
    this.inputs.push(valueInfo(name, type, shape));
    return name;
  }

  /** Declares `value` as the graph output `name` (an Identity node gives it that name). */
  output(value: string, name: string, type: OnnxTypeName, shape: Dimension[]): void {
    if (value !== name) this.node("Identity", [value], {}, name);
    this.outputs.push(valueInfo(name, type, shape));
  }

  /** Float weights drawn from a seeded generator, uniform in ±scale. */
  weight(dims: number[], scale = 0.05): string {
    const count = dims.reduce((product, dim) => product * dim, 1);
    const values = new Float32Array(count);
    let state = this.seed >>> 0;
    for (let index = 0; index < count; index++) {
      // xorshift32: fast and deterministic, enough for random weights.
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      values[index] = ((state >>> 0) / 4294967296 - 0.5) * 2 * scale;
    }
    this.seed = state >>> 0 || 1;
    return this.floats(dims, values);
  }

  floats(dims: number[], values: Float32Array | number[]): string {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    return this.tensor("float", dims, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  }

  int64s(dims: number[], values: number[]): string {
    const data = BigInt64Array.from(values.map((value) => BigInt(value)));
    return this.tensor("int64", dims, new Uint8Array(data.buffer));
  }

  /** Runs an operator; returns the name of its (first) output. */
  node(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, output?: string): string {
    const name = output ?? `${opType.toLowerCase()}_${this.counter++}`;
    this.nodes.push({
      opType,
      name: `${name}_node`,
      input: inputs,
      output: [name],
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
    return name;
  }

  /** An operator with several named outputs (If, Split). */
  nodeWithOutputs(opType: string, inputs: string[], outputs: string[], attributes: Record<string, AttributeValue> = {}): void {
    this.nodes.push({
      opType,
      name: `${opType.toLowerCase()}_${this.counter++}_node`,
      input: inputs,
      output: outputs,
      attribute: Object.entries(attributes).map(([key, value]) => attribute(key, value)),
    });
  }

  /** A branch graph (for If): it reads this graph's values by name and declares only outputs. */
  branch(name: string): OnnxGraph {
    const graph = new OnnxGraph(name, this.seed + 7919);
    graph.counter = this.counter + 1_000_000;
    return graph;
  }

  toBytes(opset = 17): Uint8Array {
    const model = ModelProto.create({
      irVersion: 8,
      producerName: "station-tests",
      producerVersion: "1",
      opsetImport: [{ domain: "", version: opset }],
      graph: this.toGraph(),
    });
    return ModelProto.encode(model).finish();
  }

  toGraph() {
    return { name: this.name, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs };
  }

  /** Parameters (float weights) in the graph. */
  parameterCount(): number {
    return this.initializers
      .filter((tensor) => tensor.dataType === OnnxType.float)
      .reduce((sum, tensor) => sum + tensor.rawData.byteLength / 4, 0);
  }

  private tensor(type: OnnxTypeName, dims: number[], rawData: Uint8Array): string {
    const name = `w${this.counter++}`;
    this.initializers.push({ name, dataType: OnnxType[type], dims, rawData });
    return name;
  }
}

function valueInfo(name: string, type: OnnxTypeName, shape: Dimension[]) {
  return {
    name,
    type: {
      tensorType: {
        elemType: OnnxType[type],
        shape: { dim: shape.map((dim) => (typeof dim === "number" ? { dimValue: dim } : { dimParam: dim })) },
      },
    },
  };
}

function attribute(name: string, value: AttributeValue) {
  if (typeof value === "number") {
    return Number.isInteger(value) ? { name, type: AttributeType.int, i: value } : { name, type: AttributeType.float, f: value };
  }
  if (typeof value === "string") return { name, type: AttributeType.string, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttributeType.ints, ints: value };
  if ("float" in value) return { name, type: AttributeType.float, f: value.float };
  if ("graph" in value) return { name, type: AttributeType.graph, g: value.graph.toGraph() };
  return { name, type: AttributeType.floats, floats: value.floats };
}
