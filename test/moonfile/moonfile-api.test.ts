import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { vl } from "moondream";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectMoondreamStream } from "../support/collect-moondream-stream.ts";
import { imageQuestion } from "../support/image-question.ts";
import { residencyProbe } from "../support/residency-probe.ts";
import { runCaptionJob } from "../support/run-caption-job.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { buildTinyMoonfile, moonArchive, writeTinyMoonfile } from "../support/tiny-moonfile.ts";
import { solidPng, toDataUrl } from "../support/vision-images.ts";

describe("a Moondream .mf in the models directory, served by the local-vision provider", () => {
  let dataDir: string;
  let station: TestStation;
  let client: vl;
  let image: Buffer;

  const { post, ps } = residencyProbe(() => station.url);
  const model = buildTinyMoonfile();

  const metrics = async () =>
    ((await (await fetch(`${station.url}/v1/system/metrics`)).json()) as { visionEncodeCache: { hits: number; encoderRuns: number } })
      .visionEncodeCache;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "station-moonfile-api-"));
    const models = path.join(dataDir, "models");
    mkdirSync(models, { recursive: true });
    writeTinyMoonfile(path.join(models, "moondream-tiny.mf"));
    // Cut off in the middle of a graph, as an interrupted copy leaves it.
    writeFileSync(path.join(models, "zz-truncated.mf"), model.bytes.subarray(0, Math.floor(model.bytes.length / 2)));
    // Whole archive, but the vision encoder is not an ONNX graph.
    const corrupt = model.files.map(([name, bytes]): [string, Uint8Array] =>
      name === "vision_encoder.onnx" ? [name, bytes.subarray(0, 40)] : [name, bytes],
    );
    writeFileSync(path.join(models, "zz-corrupt.mf"), moonArchive(corrupt));
    station = await startTestStation({ dataDir, config: { providers: [{ id: "vision", type: "local-vision" }] } });
    client = new vl({ endpoint: `${station.url}/v1` });
    image = await solidPng(96, 64);
  }, 60_000);
  afterAll(async () => {
    await station?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("is listed with caption, query, detect and point, and is the default vision model", async () => {
    const { data } = (await (await fetch(`${station.url}/v1/models`)).json()) as { data: { id: string }[] };
    expect(data.map((entry) => entry.id)).toContain("vision/moondream-tiny");
    const { models } = (await (await fetch(`${station.url}/api/models`)).json()) as {
      models: { id: string; capabilities: string[]; metadata: { visionSkills?: string[]; error?: string } }[];
    };
    const listed = models.find((entry) => entry.id === "vision/moondream-tiny");
    expect(listed?.capabilities).toEqual(["vision", "detect", "point"]);
    expect(listed?.metadata.visionSkills).toEqual(["caption", "query", "detect", "point"]);
    expect(models.find((entry) => entry.id === "vision/zz-truncated")?.metadata.error).toContain("the archive is truncated");
    expect(await (await fetch(`${station.url}/model/info`)).json()).toMatchObject({ model: "vision/moondream-tiny" });
  });

  it("the official moondream client captions, streams, queries, detects and points", async () => {
    expect((await client.caption({ image, length: "short" })).caption).toBe(model.text);
    const streamed = await client.caption({ image, length: "normal", stream: true });
    const { text, pieces } = await collectMoondreamStream(streamed.caption);
    expect(text).toBe(model.text);
    expect(pieces).toBe(model.tokens);
    expect((await client.query({ image, question: "What is in the picture?" })).answer).toBe(model.text);
    const streamedAnswer = await client.query({ image, question: "What colour?", stream: true });
    expect((await collectMoondreamStream(streamedAnswer.answer)).text).toBe(model.text);
    const { objects } = await client.detect({ image, object: "red square" });
    expect(objects).toHaveLength(2);
    for (const box of objects) {
      expect(box.x_min).toBeLessThanOrEqual(box.x_max);
      expect(box.y_min).toBeLessThanOrEqual(box.y_max);
      for (const value of [box.x_min, box.y_min, box.x_max, box.y_max]) expect(value >= 0 && value <= 1).toBe(true);
    }
    const { points } = await client.point({ image, object: "red square" });
    expect(points).toHaveLength(3);
    for (const point of points) expect(point.x >= 0 && point.x <= 1 && point.y >= 0 && point.y <= 1).toBe(true);
  });

  it("encodes an image once: more questions about it skip the vision encoder", async () => {
    const fresh = await solidPng(80, 80, { r: 10, g: 200, b: 30 });
    const before = await metrics();
    await client.caption({ image: fresh, length: "short" });
    const afterFirst = await metrics();
    expect(afterFirst.encoderRuns).toBe(before.encoderRuns + 1);
    await client.query({ image: fresh, question: "Again?" });
    await client.point({ image: fresh, object: "square" });
    const afterMore = await metrics();
    expect(afterMore.encoderRuns).toBe(afterFirst.encoderRuns);
    expect(afterMore.hits).toBeGreaterThanOrEqual(afterFirst.hits + 2);
  });

  it("answers /v1/chat/completions with an image_url part through the official openai client", async () => {
    const openai = new OpenAI({ baseURL: `${station.url}/v1`, apiKey: "unused" });
    const completion = await openai.chat.completions.create({
      model: "vision/moondream-tiny",
      messages: imageQuestion(toDataUrl(image)),
    });
    expect(completion.choices[0]?.message.content).toBe(model.text);
  });

  it("completes caption queue jobs on the .mf model", async () => {
    const view = await runCaptionJob(station.url, { image_data: image.toString("base64") }, 400);
    expect(view).toMatchObject({ status: "completed", result: { caption: model.text, model: "vision/moondream-tiny" } });
  });

  it("refuses a truncated .mf and a corrupt graph with 422 model_invalid, and stays up", async () => {
    for (const [name, reason] of [
      ["vision/zz-truncated", "truncated"],
      ["vision/zz-corrupt", "vision_encoder.onnx"],
    ] as const) {
      for (const route of ["caption", "detect"]) {
        const response = await post(`/v1/${route}`, { image_url: toDataUrl(image), model: name, object: "cat" });
        expect(response.status).toBe(422);
        const body = (await response.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe("model_invalid");
        expect(body.error.message).toContain(name);
        expect(body.error.message).toContain(reason);
      }
    }
    expect((await fetch(`${station.url}/health`)).status).toBe(200);
    expect((await client.caption({ image, length: "short" })).caption).toBe(model.text);
  });

  it("shows the loaded model in /v1/system/ps, unloads it and loads it again on demand", async () => {
    expect(await ps("vision/moondream-tiny")).toBeDefined();
    expect((await post("/v1/system/models/unload", { model: "vision/moondream-tiny" })).status).toBeLessThan(300);
    expect(await ps("vision/moondream-tiny")).toBeUndefined();
    expect((await post("/v1/system/models/load", { model: "vision/moondream-tiny" })).status).toBeLessThan(300);
    expect(await ps("vision/moondream-tiny")).toBeDefined();
  });
});
