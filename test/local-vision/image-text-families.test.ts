import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Tensor } from "@huggingface/transformers";
import { afterAll, describe, expect, it } from "vitest";
import { createEncodingCache } from "../../src/providers/transformers/create-encoding-cache.ts";
import { findOnnxModelDirectories } from "../../src/providers/transformers/find-onnx-model-directories.ts";
import { inspectVisionModel } from "../../src/providers/transformers/inspect-vision-model.ts";
import { type ImageTextFamily, loadImageTextModel } from "../../src/providers/transformers/load-image-text-model.ts";
import { writeTinyMoondream2 } from "../support/tiny-moondream2.ts";
import { writeTinyQwen2Vl } from "../support/tiny-qwen2vl.ts";
import { writeTinySmolVlm } from "../support/tiny-smolvlm.ts";
import { solidPng } from "../support/vision-images.ts";

const workDir = mkdtempSync(path.join(tmpdir(), "station-image-text-"));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const families: {
  name: string;
  family: ImageTextFamily;
  grounds?: true;
  write(directory: string): { text: string; tokens: number };
}[] = [
  { name: "moondream2", family: "moondream2", write: (directory) => writeTinyMoondream2(directory, { words: ["A", "red", "square"] }) },
  {
    name: "qwen2-vl",
    family: "qwen2vl",
    grounds: true,
    write: (directory) => writeTinyQwen2Vl(directory, { words: ["Two", "red", "squares"] }),
  },
  // 96 × 64 → 64 × 43 → 64 × 64 for the encoder: 2 × 2 tiles of 32 px and the 32 px global view, 5 images.
  {
    name: "smolvlm-split",
    family: "smolvlm",
    write: (directory) => writeTinySmolVlm(directory, { words: ["Tiles", "here"], splitInto: 5 }),
  },
];

describe.each(families)("$name through transformers.js (the engine a worker thread runs)", ({ name, family, grounds, write }) => {
  it("inspects as its family, captions and answers with the scripted text (tokens counted, streamed piece by piece), and encodes an image once", async () => {
    const written = write(path.join(workDir, name));
    const [model] = (await findOnnxModelDirectories([workDir])).filter((candidate) => candidate.name === name);
    if (model === undefined) throw new Error(`${name} was not discovered`);
    const inspection = await inspectVisionModel(`vision/${name}`, model);
    if (!inspection.ok) throw inspection.error;
    expect(inspection.summary).toMatchObject(
      grounds === true
        ? { runner: family, capabilities: ["vision", "detect", "point"], skills: ["caption", "query", "detect", "point"] }
        : { runner: family, capabilities: ["vision"], skills: ["caption", "query"] },
    );

    const stats = { hits: 0, misses: 0, encoderRuns: 0, promptHits: 0, entries: 0, capacity: 4 };
    const engine = await loadImageTextModel(
      { family, directory: model.path, dtypes: inspection.summary.dtypes, threads: 1 },
      { cache: createEncodingCache<Tensor>(4, stats), onEncoderRun: () => stats.encoderRuns++ },
    );
    try {
      const image = { data: await solidPng(96, 64), mediaType: "image/png" };
      const task = { image, contentHash: "an-image", maxNewTokens: 32 };
      const pieces: string[] = [];
      const signal = new AbortController().signal;
      const caption = await engine.run({ ...task, prompt: "Describe this image." }, signal, (piece) => pieces.push(piece));
      expect(caption).toEqual({ text: written.text, tokens: written.tokens });
      expect(pieces.join("")).toBe(written.text);
      expect(pieces.length).toBeGreaterThan(1);
      expect(stats.encoderRuns).toBe(1);
      const answer = await engine.run({ ...task, prompt: "What is in it?" }, signal, undefined);
      expect(answer).toEqual({ text: written.text, tokens: written.tokens });
      expect(stats).toMatchObject({ encoderRuns: 1, hits: 1 });
    } finally {
      await engine.dispose();
    }
  }, 60_000);
});
