import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pullOnnxRepository } from "../../src/providers/transformers/pull-onnx-repository.ts";
import { huggingFaceRepositoryFiles } from "../support/fake-hugging-face-repository.ts";
import { type FileServer, startFileServer } from "../support/local-file-server.ts";
import { postModelPull, pullEvents } from "../support/post-model-pull.ts";
import { startTestStation } from "../support/start-test-station.ts";
import { writeTinyFlorence2 } from "../support/tiny-florence2.ts";
import { solidPng, toDataUrl } from "../support/vision-images.ts";

const workDir = mkdtempSync(path.join(tmpdir(), "station-vision-pull-"));
const repository = "/onnx-community/Tiny-Florence-2";
let server: FileServer;
let source: string;

beforeAll(async () => {
  source = path.join(workDir, "source");
  writeTinyFlorence2(source, { text: "A pulled model" });
  // README and the unmerged decoder are in the repository but not needed: a pull must leave them.
  const files = huggingFaceRepositoryFiles(repository, source, {
    "README.md": Buffer.from("# not needed"),
    "onnx/decoder_model.onnx": Buffer.from("unused"),
  });
  server = await startFileServer(files);
});

afterAll(async () => {
  await server?.close();
  rmSync(workDir, { recursive: true, force: true });
});

describe("pulling a Hugging Face ONNX vision repository", () => {
  it("takes only the files the engine needs in one precision, resumes a cut download, and checks sizes and SHA-256", async () => {
    const directory = path.join(workDir, "models");
    server.cutNextAfter(20_000, `${repository}/resolve/main/onnx/decoder_model_merged.onnx`);
    await expect(
      pullOnnxRepository({ uri: "hf:onnx-community/Tiny-Florence-2", directory, huggingFaceEndpoint: server.url }),
    ).rejects.toMatchObject({ code: "pull_failed", message: expect.stringMatching(/interrupted|incomplete/) });
    expect(existsSync(path.join(directory, "Tiny-Florence-2"))).toBe(false);
    // Whatever arrived before the cut stays in the staging directory (the socket may drop it all).
    const kept = statSync(path.join(directory, ".Tiny-Florence-2.partial", "onnx", "decoder_model_merged.onnx.partial")).size;
    expect(kept).toBeLessThanOrEqual(20_000);

    const before = server.requests.length;
    const progress: number[] = [];
    const result = await pullOnnxRepository({
      uri: "hf:onnx-community/Tiny-Florence-2",
      directory,
      huggingFaceEndpoint: server.url,
      onProgress: (event) => progress.push(event.completedBytes),
    });
    expect(result).toMatchObject({ modelName: "Tiny-Florence-2", family: "florence2", dtype: "fp32", alreadyPresent: false });
    expect(result.files.sort()).toEqual(
      [
        "config.json",
        "generation_config.json",
        "preprocessor_config.json",
        "tokenizer.json",
        "tokenizer_config.json",
        "onnx/decoder_model_merged.onnx",
        "onnx/embed_tokens.onnx",
        "onnx/encoder_model.onnx",
        "onnx/vision_encoder.onnx",
      ].sort(),
    );
    const resumed = server.requests.slice(before).find((request) => request.url.endsWith("decoder_model_merged.onnx"));
    expect(resumed).toBeDefined();
    expect(resumed?.headers.range).toBe(kept > 0 ? `bytes=${kept}-` : undefined);
    expect(progress.at(-1)).toBe(result.sizeBytes);
    const requested = server.requests.map((request) => request.url);
    expect(requested.some((url) => url.includes("README.md") || url.includes("_quantized") || url.endsWith("/decoder_model.onnx"))).toBe(
      false,
    );
    for (const file of result.files) {
      expect(readFileSync(path.join(directory, "Tiny-Florence-2", file)).equals(readFileSync(path.join(source, file)))).toBe(true);
    }
    const again = await pullOnnxRepository({ uri: "hf:onnx-community/Tiny-Florence-2", directory, huggingFaceEndpoint: server.url });
    expect(again.alreadyPresent).toBe(true);
  });

  it("pulls a chosen precision", async () => {
    const directory = path.join(workDir, "models-q8");
    const result = await pullOnnxRepository({
      uri: "hf:onnx-community/Tiny-Florence-2",
      directory,
      dtype: "q8",
      huggingFaceEndpoint: server.url,
    });
    expect(result.dtype).toBe("q8");
    expect(readdirSync(path.join(directory, "Tiny-Florence-2", "onnx")).sort()).toEqual([
      "decoder_model_merged_quantized.onnx",
      "embed_tokens_quantized.onnx",
      "encoder_model_quantized.onnx",
      "vision_encoder_quantized.onnx",
    ]);
    await expect(
      pullOnnxRepository({
        uri: "hf:onnx-community/Tiny-Florence-2",
        directory: path.join(workDir, "x"),
        dtype: "q4",
        huggingFaceEndpoint: server.url,
      }),
    ).rejects.toMatchObject({ code: "pull_failed", message: expect.stringContaining("no 'q4' graphs") });
  });

  it("POST /v1/system/models/pull streams progress, then the model serves at once", async () => {
    const station = await startTestStation({
      config: { providers: [{ id: "vision", type: "local-vision" }], huggingFace: { endpoint: server.url } },
    });
    try {
      const response = await postModelPull(station.url, "hf:onnx-community/Tiny-Florence-2");
      expect(response.headers.get("content-type")).toContain("text/event-stream");
      const events = await pullEvents(response);
      const progress = events.filter((event) => event.type === "progress");
      expect(progress.length).toBeGreaterThan(1);
      expect(progress.at(-1)?.data.percent).toBe(100);
      expect(events.at(-1)).toMatchObject({ type: "done", data: { model: "vision/Tiny-Florence-2", family: "florence2" } });
      const caption = await fetch(`${station.url}/v1/caption`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ image_url: toDataUrl(await solidPng(40, 40)), length: "short" }),
      });
      expect(await caption.json()).toMatchObject({ caption: "A pulled model" });
      const bad = await postModelPull(station.url, "https://example.com/model.onnx", { stream: false });
      expect(bad.status).toBe(400);
      const missing = await postModelPull(station.url, "hf:onnx-community/Nothing-Here", { stream: false });
      expect(missing.status).toBe(502);
      expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("pull_failed");
    } finally {
      await station.close();
    }
  }, 60_000);
});
