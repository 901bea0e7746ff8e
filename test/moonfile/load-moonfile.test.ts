import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadMoonfile, type MoonfileEngine } from "../../src/providers/moonfile/load-moonfile.ts";
import type { EncodedImage } from "../../src/providers/moonfile/moondream-runner.ts";
import { readMoonfileIndex } from "../../src/providers/moonfile/moonfile-archive.ts";
import { createEncodingCache, type EncodingCacheStats } from "../../src/providers/transformers/create-encoding-cache.ts";
import { writeTinyMoonfile } from "../support/tiny-moonfile.ts";
import { solidPng } from "../support/vision-images.ts";

describe("loading and running a Moondream .mf (onnx_vl.py's pipeline in TypeScript)", () => {
  const directory = mkdtempSync(path.join(tmpdir(), "station-moonfile-"));
  const file = path.join(directory, "tiny.mf");
  const stats: EncodingCacheStats = { hits: 0, misses: 0, encoderRuns: 0, promptHits: 0, entries: 0, capacity: 4 };
  let model: MoonfileEngine;
  let encoderRuns = 0;
  const written = writeTinyMoonfile(file);

  beforeAll(async () => {
    model = await loadMoonfile({
      path: file,
      index: await readMoonfileIndex(file),
      threads: 1,
      cache: createEncodingCache<EncodedImage>(4, stats),
      onEncoderRun: () => {
        encoderRuns++;
      },
    });
  });
  afterAll(async () => {
    await model?.dispose();
    rmSync(directory, { recursive: true, force: true });
  });

  it("captions and answers with the scripted text, streaming token by token, tokens counted", async () => {
    const image = { data: await solidPng(64, 48), mediaType: "image/png" };
    const pieces: string[] = [];
    const caption = await model.caption({ image, contentHash: "a", length: "normal", maxTokens: 64, onText: (text) => pieces.push(text) });
    expect(caption).toEqual({ text: written.text, tokens: written.tokens });
    expect(pieces.join("")).toBe(written.text);
    expect(pieces).toHaveLength(written.tokens);
    const answer = await model.query({ image, contentHash: "a", question: "What is it?", maxTokens: 3 });
    expect(answer).toEqual({ text: "A red square", tokens: 3 });
    expect(encoderRuns).toBe(1);
  });

  it("crops a large image on the 2×1 grid and still encodes it", async () => {
    const image = { data: await solidPng(1200, 500, { r: 0, g: 0, b: 255 }), mediaType: "image/png" };
    const caption = await model.caption({ image, contentHash: "wide", length: "short", maxTokens: 64 });
    expect(caption.text).toBe(written.text);
  });

  it("stops at the 2048 positions the client's cache holds, whatever the token limit", async () => {
    const endlessFile = path.join(directory, "endless.mf");
    writeTinyMoonfile(endlessFile, { words: ["on"], endless: true });
    const endless = await loadMoonfile({
      path: endlessFile,
      index: await readMoonfileIndex(endlessFile),
      threads: 1,
      cache: createEncodingCache<EncodedImage>(1, stats),
    });
    try {
      const image = { data: await solidPng(32, 32), mediaType: "image/png" };
      const answer = await endless.caption({ image, contentHash: "e", length: "normal", maxTokens: 4096 });
      // 1 + 729 positions for the initial cache and the image, 10 for "\n\nCaption:", then one per token.
      expect(answer.tokens).toBe(2048 - 740 + 1);
    } finally {
      await endless.dispose();
    }
  });

  it("detects two boxes and points at three places, every coordinate inside the image", async () => {
    const image = { data: await solidPng(64, 48), mediaType: "image/png" };
    const boxes = await model.detect({ image, contentHash: "a", object: "square" });
    expect(boxes).toHaveLength(2);
    for (const box of boxes) {
      expect(box.x_min).toBeLessThanOrEqual(box.x_max);
      expect(box.y_min).toBeLessThanOrEqual(box.y_max);
      for (const value of Object.values(box)) expect(value >= 0 && value <= 1).toBe(true);
    }
    const points = await model.point({ image, contentHash: "a", object: "square" });
    expect(points).toHaveLength(3);
    for (const point of points) {
      expect(point.x >= 0 && point.x < 1 && point.y >= 0 && point.y < 1).toBe(true);
      // Bins are 1/32 wide: argmax / 32.
      expect(Number.isInteger(point.x * 32)).toBe(true);
    }
  });
});
