import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { combinePatchFeatures, createImagePatches } from "./create-image-patches.ts";

const png = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 255, g: 0, b: 0 } } })
    .png()
    .toBuffer();

describe("preprocess.py's crops and the pooling between encoder and projection", () => {
  it("keeps a small image whole and normalises pixels to −1..1 in CHW order", async () => {
    const patches = await createImagePatches(await png(100, 60), 80);
    expect(patches.template).toEqual([1, 1]);
    expect(patches.count).toBe(1);
    expect(patches.values[0]).toBeCloseTo(1, 5); // red channel, 255
    expect(patches.values.length).toBe(3 * 80 * 80);
    expect(patches.values[80 * 80]).toBeCloseTo(-1, 5); // green channel, 0
  });

  it("picks the grid closest to the aspect ratio once the longer side reaches 1.4 × the crop size", async () => {
    expect((await createImagePatches(await png(40, 20), 14)).template).toEqual([1, 2]);
    expect((await createImagePatches(await png(20, 40), 14)).template).toEqual([2, 1]);
    const square = await createImagePatches(await png(40, 40), 14);
    expect(square.template).toEqual([2, 2]);
    expect(square.count).toBe(5);
    expect(square.values.length).toBe(5 * 3 * 14 * 14);
    expect((await createImagePatches(await png(19, 19), 14)).template).toEqual([1, 1]);
  });

  it("puts the global features beside themselves, or beside the crop grid pooled back to the token grid", () => {
    // 2 tokens per side (4 tokens), 1 channel; patch p token t = 10·p + t.
    const features = Float32Array.from({ length: 3 * 4 }, (_, index) => 10 * Math.floor(index / 4) + (index % 4));
    const alone = combinePatchFeatures(features.subarray(0, 4), 1, [1, 1], 1);
    expect([...alone]).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    // 1×2 grid: a 2×4 layout of patches 0 and 1 (as the client indexes them), pooled 2×4 → 2×2 with 1×2 kernels.
    const wide = combinePatchFeatures(features, 3, [1, 2], 1);
    expect([...wide]).toEqual([0, 0.5, 1, 10.5, 2, 2.5, 3, 12.5]);
  });
});
