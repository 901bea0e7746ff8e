import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { vl } from "moondream";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectMoondreamStream } from "../support/collect-moondream-stream.ts";
import { imageQuestion } from "../support/image-question.ts";
import { residencyProbe } from "../support/residency-probe.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { writeTinySmolVlm } from "../support/tiny-smolvlm.ts";
import { solidPng, toDataUrl } from "../support/vision-images.ts";

describe("a SmolVLM (transformers.js, in a worker thread) through the vision API", () => {
  let dataDir: string;
  let station: TestStation;
  let client: vl;
  let image: Buffer;
  let expected: string;

  const { post, ps } = residencyProbe(() => station.url);

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "station-smolvlm-"));
    expected = writeTinySmolVlm(path.join(dataDir, "models", "tiny-smolvlm"), { words: ["A", "red", "square", "here"] }).text;
    // The same model with its decoder cut short: ONNX Runtime cannot parse it.
    const broken = path.join(dataDir, "models", "zz-broken-smolvlm");
    writeTinySmolVlm(broken);
    const decoder = path.join(broken, "onnx", "decoder_model_merged.onnx");
    writeFileSync(decoder, readFileSync(decoder).subarray(0, 60));
    station = await startTestStation({ dataDir, config: { providers: [{ id: "vision", type: "local-vision" }] } });
    client = new vl({ endpoint: `${station.url}/v1` });
    image = await solidPng(96, 64);
  }, 60_000);
  afterAll(async () => {
    await station?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("is listed with caption and query only, and is the default vision model", async () => {
    const { models } = (await (await fetch(`${station.url}/api/models`)).json()) as {
      models: { id: string; capabilities: string[]; metadata: { family?: string; visionSkills?: string[] } }[];
    };
    const listed = models.find((model) => model.id === "vision/tiny-smolvlm");
    expect(listed).toMatchObject({ capabilities: ["vision"], metadata: { family: "smolvlm", visionSkills: ["caption", "query"] } });
    expect(await (await fetch(`${station.url}/model/info`)).json()).toMatchObject({
      model: "vision/tiny-smolvlm",
      capabilities: ["caption", "query"],
    });
  });

  it("the official moondream client captions, streams and queries; detect is refused with 400", async () => {
    expect((await client.caption({ image, length: "short" })).caption).toBe(expected);
    const streamed = await client.caption({ image, length: "normal", stream: true });
    const { text, pieces } = await collectMoondreamStream(streamed.caption);
    expect(text).toBe(expected);
    expect(pieces).toBeGreaterThan(1);
    expect((await client.query({ image, question: "What is it?" })).answer).toBe(expected);
    const detect = await post("/v1/detect", { image_url: toDataUrl(image), object: "square" });
    expect(detect.status).toBe(400);
    expect(((await detect.json()) as { error: { code: string } }).error.code).toBe("unsupported");
  });

  it("encodes an image once: another question about it does not run the vision encoder", async () => {
    const metrics = async () =>
      ((await (await fetch(`${station.url}/v1/system/metrics`)).json()) as { visionEncodeCache: { hits: number; encoderRuns: number } })
        .visionEncodeCache;
    const fresh = await solidPng(70, 70, { r: 0, g: 90, b: 250 });
    const before = await metrics();
    await client.caption({ image: fresh, length: "short" });
    const afterFirst = await metrics();
    expect(afterFirst.encoderRuns).toBe(before.encoderRuns + 1);
    expect((await client.query({ image: fresh, question: "And now?" })).answer).toBe(expected);
    const afterSecond = await metrics();
    expect(afterSecond.encoderRuns).toBe(afterFirst.encoderRuns);
    expect(afterSecond.hits).toBe(afterFirst.hits + 1);
  });

  it("answers /v1/chat/completions with an image_url part through the official openai client", async () => {
    const openai = new OpenAI({ baseURL: `${station.url}/v1`, apiKey: "unused" });
    const completion = await openai.chat.completions.create({
      model: "vision/tiny-smolvlm",
      messages: imageQuestion(toDataUrl(image)),
    });
    expect(completion.choices[0]?.message.content).toBe(expected);
    expect(await ps("vision/tiny-smolvlm")).toBeDefined();
  });

  it("refuses a corrupt graph with 422 model_invalid, and stays up", async () => {
    const response = await post("/v1/caption", { image_url: toDataUrl(image), model: "vision/zz-broken-smolvlm" });
    expect(response.status).toBe(422);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe("model_invalid");
    expect((await client.caption({ image, length: "short" })).caption).toBe(expected);
  });
});
