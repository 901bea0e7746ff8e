import type { Tensor } from "onnxruntime-node";
import type { Ort } from "./onnx-values.ts";

type CacheData = Float32Array | Uint16Array;

/**
 * The text decoder's key/value cache, shaped like initial_kv_cache.npy ([layers, 2, 1, heads,
 * positions, head width] in the published models: positions are always the second-to-last axis).
 * Immutable: `append` returns a new cache, so the cache of an encoded image is shared by every
 * question about it without a copy. The client keeps a 2048-position buffer and slices it per
 * step; a slice of that buffer is copied by ONNX Runtime anyway, so one copy per step is the same
 * work, without reserving 2048 positions up front.
 */
export class KeyValueCache {
  private constructor(
    readonly type: "float16" | "float32",
    /** Dimensions before the positions axis. */
    readonly outer: readonly number[],
    readonly positions: number,
    readonly width: number,
    readonly data: CacheData,
  ) {}

  static of(type: "float16" | "float32", dims: readonly number[], data: CacheData): KeyValueCache {
    if (dims.length < 2) throw new Error(`a key/value cache needs at least 2 dimensions, got [${dims}]`);
    const positions = dims.at(-2) as number;
    const width = dims.at(-1) as number;
    return new KeyValueCache(type, dims.slice(0, -2), positions, width, data);
  }

  get byteLength(): number {
    return this.data.byteLength;
  }

  tensor(ort: Ort): Tensor {
    return new ort.Tensor(this.type, this.data, [...this.outer, this.positions, this.width]);
  }

  /** This cache followed by `update` (the decoder's new_kv_cache for the positions it just ran). */
  append(update: Tensor): KeyValueCache {
    if (update.type !== this.type) throw new Error(`new_kv_cache is ${update.type}, the cache is ${this.type}`);
    const dims = update.dims;
    const added = dims.at(-2) ?? 0;
    if (dims.length !== this.outer.length + 2 || dims.at(-1) !== this.width || this.outer.some((dim, index) => dims[index] !== dim)) {
      throw new Error(`new_kv_cache has shape [${dims}], the cache is [${[...this.outer, this.positions, this.width]}]`);
    }
    const blocks = this.outer.reduce((product, dim) => product * dim, 1);
    const total = this.positions + added;
    const data = this.type === "float16" ? new Uint16Array(blocks * total * this.width) : new Float32Array(blocks * total * this.width);
    const source = update.data as CacheData;
    const oldBlock = this.positions * this.width;
    const addedBlock = added * this.width;
    for (let block = 0; block < blocks; block++) {
      const target = block * total * this.width;
      data.set(this.data.subarray(block * oldBlock, (block + 1) * oldBlock), target);
      data.set(source.subarray(block * addedBlock, (block + 1) * addedBlock), target + oldBlock);
    }
    return new KeyValueCache(this.type, this.outer, total, this.width, data);
  }
}
