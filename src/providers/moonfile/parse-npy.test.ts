import { describe, expect, it } from "vitest";
import { float16ToFloat32, float32ToFloat16 } from "./float16.ts";
import { parseNpy } from "./parse-npy.ts";

function npy(descr: string, shape: number[], data: Uint8Array): Uint8Array {
  const header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(", ")}${shape.length === 1 ? "," : ""}), }`;
  const padded = `${header.padEnd(64 - 10 - 1, " ")}\n`;
  const prefix = new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, padded.length, 0]);
  return new Uint8Array([...prefix, ...new TextEncoder().encode(padded), ...data]);
}

describe(".npy arrays and float16", () => {
  it("reads float32 and float16 arrays with their shapes, from any byte offset", () => {
    const values = new Float32Array([1.5, -2, 0.25, 8]);
    const bytes = npy("<f4", [2, 2], new Uint8Array(values.buffer));
    // Inside a larger buffer at an odd offset, as an entry of a .mf archive is.
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    const parsed = parseNpy(shifted.subarray(3));
    expect(parsed).toMatchObject({ dtype: "float32", shape: [2, 2] });
    expect([...parsed.data]).toEqual([1.5, -2, 0.25, 8]);
    const halves = new Uint16Array([float32ToFloat16(1), float32ToFloat16(-0.5)]);
    const half = parseNpy(npy("<f2", [2], new Uint8Array(halves.buffer)));
    expect(half.shape).toEqual([2]);
    expect([...half.data].map(float16ToFloat32)).toEqual([1, -0.5]);
    expect(() => parseNpy(npy("<i8", [1], new Uint8Array(8)))).toThrow(/not supported/);
    expect(() => parseNpy(bytes.subarray(0, bytes.length - 2))).toThrow(/cut off/);
  });

  it("converts float16 both ways: normal, subnormal, rounding, infinity", () => {
    for (const value of [0, 1, -1, 0.5, 65504, 2 ** -14, 2 ** -24, 3.140625]) {
      expect(float16ToFloat32(float32ToFloat16(value))).toBe(value);
    }
    expect(float16ToFloat32(float32ToFloat16(1e6))).toBe(Number.POSITIVE_INFINITY);
    expect(float16ToFloat32(float32ToFloat16(1 + 2 ** -11))).toBe(1); // ties to even
    expect(float32ToFloat16(1)).toBe(0x3c00);
  });
});
