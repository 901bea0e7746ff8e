import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { vl } from "moondream";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectMoondreamStream } from "../support/collect-moondream-stream.ts";
import { expectCaptionsRefusedAsInvalid } from "../support/expect-captions-refused-as-invalid.ts";
import { imageQuestion } from "../support/image-question.ts";
import { residencyProbe } from "../support/residency-probe.ts";
import { runCaptionJob } from "../support/run-caption-job.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { writeTinyFlorence2 } from "../support/tiny-florence2.ts";
import { solidPng, toDataUrl } from "../support/vision-images.ts";

const caption = "A red square on a white background";
// Location bins 250 and 750 decode to the centre of their bin: (250 + 0.5) / 1000.
const box = { x_min: 0.2505, y_min: 0.2505, x_max: 0.7505, y_max: 0.7505 };

describe("local vision models (transformers.js, Florence-2) through every vision surface", () => {
  let dataDir: string;
  let station: TestStation;
  let client: vl;
  let image: Buffer;

  const { post, ps } = residencyProbe(() => station.url);

  const metrics = async () =>
    (
      (await (await fetch(`${station.url}/v1/system/metrics`)).json()) as {
        visionEncodeCache: { hits: number; misses: number; encoderRuns: number; promptHits: number };
      }
    ).visionEncodeCache;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "station-local-vision-"));
    const models = path.join(dataDir, "models");
    writeTinyFlorence2(path.join(models, "tiny-florence"), { text: caption, locations: [250, 250, 750, 750] });
    // A model whose vision encoder is not a valid ONNX file.
    writeTinyFlorence2(path.join(models, "zz-broken-florence"));
    const encoderFile = path.join(models, "zz-broken-florence", "onnx", "vision_encoder.onnx");
    writeFileSync(encoderFile, readFileSync(encoderFile).subarray(0, 40));
    // A repository of an architecture no engine here runs.
    mkdirSync(path.join(models, "mystery-model", "onnx"), { recursive: true });
    writeFileSync(path.join(models, "mystery-model", "config.json"), JSON.stringify({ model_type: "mystery_vlm" }));
    station = await startTestStation({
      dataDir,
      config: {
        providers: [
          { id: "vision", type: "local-vision" },
          { id: "ocr", type: "ocr" },
        ],
      },
    });
    client = new vl({ endpoint: `${station.url}/v1` });
    image = await solidPng(96, 64);
  }, 60_000);
  afterAll(async () => {
    await station?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("lists the model with its capabilities, and the ones it cannot serve with the reason", async () => {
    const { data } = (await (await fetch(`${station.url}/v1/models`)).json()) as { data: { id: string; capabilities?: string[] }[] };
    const listed = await (await fetch(`${station.url}/model/info`)).json();
    expect(data.find((model) => model.id === "vision/tiny-florence")).toBeDefined();
    expect(listed).toMatchObject({ model: "vision/tiny-florence" });
    const registry = JSON.stringify(await (await fetch(`${station.url}/api/models`)).json());
    expect(registry).toContain("tiny-florence");
    expect(registry).toContain("the architecture 'mystery_vlm' is not a vision family Station can run");
  });

  it("is the default vision model: the official moondream client captions, streams, queries, detects and points", async () => {
    const short = await client.caption({ image, length: "short" });
    expect(short.caption).toBe(caption);
    const streamed = await client.caption({ image, length: "long", stream: true });
    const { text, pieces } = await collectMoondreamStream(streamed.caption);
    expect(text.trim()).toBe(caption);
    expect(pieces).toBeGreaterThan(1);
    const answer = await client.query({ image, question: "What is in the picture?" });
    expect(answer.answer).toBe(caption);
    const streamedAnswer = await client.query({ image, question: "What colour?", stream: true });
    expect((await collectMoondreamStream(streamedAnswer.answer)).text.trim()).toBe(caption);
    const detected = await client.detect({ image, object: "red square" });
    expect(detected.objects).toHaveLength(1);
    for (const [key, value] of Object.entries(box)) expect(detected.objects[0]?.[key as keyof typeof box]).toBeCloseTo(value, 6);
    const pointed = await client.point({ image, object: "red square" });
    expect(pointed.points).toHaveLength(1);
    expect(pointed.points[0]?.x).toBeCloseTo(0.5005, 6);
    expect(pointed.points[0]?.y).toBeCloseTo(0.5005, 6);
  });

  it("encodes an image once: a second question about it does not run the vision encoder", async () => {
    const fresh = await solidPng(80, 80, { r: 10, g: 200, b: 30 });
    const before = await metrics();
    await client.caption({ image: fresh, length: "short" });
    const afterFirst = await metrics();
    expect(afterFirst.encoderRuns).toBe(before.encoderRuns + 1);
    await client.query({ image: fresh, question: "Again?" });
    await client.detect({ image: fresh, object: "square" });
    const afterMore = await metrics();
    expect(afterMore.encoderRuns).toBe(afterFirst.encoderRuns);
    expect(afterMore.hits).toBeGreaterThanOrEqual(afterFirst.hits + 2);
    // The same task on the same image again skips the text encoder too.
    expect((await client.caption({ image: fresh, length: "short" })).caption).toBe(caption);
    const repeated = await metrics();
    expect(repeated.promptHits).toBe(afterMore.promptHits + 1);
    expect(repeated.encoderRuns).toBe(afterFirst.encoderRuns);
  });

  it("answers /v1/chat/completions with an image_url part (stream and not) through the official openai client", async () => {
    const openai = new OpenAI({ baseURL: `${station.url}/v1`, apiKey: "unused" });
    const messages = imageQuestion(toDataUrl(image));
    const completion = await openai.chat.completions.create({ model: "vision/tiny-florence", messages });
    expect(completion.choices[0]?.message.content).toBe(caption);
    const stream = await openai.chat.completions.create({ model: "vision/tiny-florence", messages, stream: true });
    let streamedText = "";
    for await (const chunk of stream) streamedText += chunk.choices[0]?.delta.content ?? "";
    expect(streamedText.trim()).toBe(caption);
  });

  it("completes caption queue jobs on the local model", async () => {
    const view = await runCaptionJob(station.url, { image_data: image.toString("base64") });
    expect(view).toMatchObject({ status: "completed", result: { caption, model: "vision/tiny-florence" } });
  });

  it("refuses a corrupt ONNX file and an unknown architecture with 422 model_invalid, and stays up", async () => {
    await expectCaptionsRefusedAsInvalid(station.url, toDataUrl(image), ["vision/zz-broken-florence", "vision/mystery-model"]);
    expect((await client.caption({ image, length: "short" })).caption).toBe(caption);
  });

  it("shows the loaded model in /v1/system/ps and unloads it", async () => {
    expect(await ps("vision/tiny-florence")).toBeDefined();
    expect((await post("/v1/system/models/unload", { model: "vision/tiny-florence" })).status).toBeLessThan(300);
    expect(await ps("vision/tiny-florence")).toBeUndefined();
  });
});
