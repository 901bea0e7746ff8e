import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { vl } from "moondream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatRequest, ModelInfo } from "../../src/providers/spec/index.ts";
import { createScriptedChatProvider, lastMessage } from "../support/chat-scripted-provider.ts";
import { postChatStream } from "../support/chat-sse-client.ts";
import { residencyProbe } from "../support/residency-probe.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { writeTinyQwen2Vl } from "../support/tiny-qwen2vl.ts";
import { solidPng, toDataUrl } from "../support/vision-images.ts";

// The answer a real Qwen2-VL gives to "Find <|object_ref_start|>the cat<|object_ref_end|>": one box on the 0–1000 grid.
const grounded = ["<|object_ref_start|>", "the cat", "<|object_ref_end|>", "<|box_start|>", "(250,125),(750,875)", "<|box_end|>"];
// The same answer cut off by the token limit inside the box.
const cutOff = ["<|object_ref_start|>", "the cat", "<|object_ref_end|>", "<|box_start|>", "(250,125),(7"];

describe("Qwen2-VL detects and points by the boxes it writes in text", () => {
  let dataDir: string;
  let station: TestStation;
  let client: vl;
  let image: Buffer;
  const { post, ps } = residencyProbe(() => station.url);
  const textOnly = createScriptedChatProvider("blind", () => ({ text: "noted" }));
  const listScripted = textOnly.listModels.bind(textOnly);
  textOnly.listModels = async (): Promise<ModelInfo[]> =>
    (await listScripted()).map((model) => ({ ...model, capabilities: model.capabilities.filter((capability) => capability !== "vision") }));

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "station-qwen2vl-grounding-"));
    const models = path.join(dataDir, "models");
    // Listed first: without defaults.visionModel it would be the default vision model.
    writeTinyQwen2Vl(path.join(models, "a-qwen2-vl-words"), { words: ["Two", "red", "squares"] });
    writeTinyQwen2Vl(path.join(models, "qwen2-vl-grounding"), { answer: grounded });
    writeTinyQwen2Vl(path.join(models, "qwen2-vl-cut"), { answer: cutOff });
    station = await startTestStation({
      dataDir,
      providers: [textOnly],
      config: {
        // Configured threads (0 would let Station choose for the core count).
        providers: [{ id: "vision", type: "local-vision", threads: 3 }],
        defaults: { visionModel: "vision/qwen2-vl-grounding", chatModel: "blind/scripted" },
      },
    });
    client = new vl({ endpoint: `${station.url}/v1` });
    image = await solidPng(96, 64);
  }, 60_000);
  afterAll(async () => {
    await station?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("lists Qwen2-VL with detect and point, and defaults.visionModel wins over the first local model", async () => {
    const { data } = (await (await fetch(`${station.url}/v1/models`)).json()) as { data: { id: string; capabilities?: string[] }[] };
    expect(data.find((model) => model.id === "vision/qwen2-vl-grounding")?.capabilities).toEqual(["vision", "detect", "point"]);
    const { models } = (await (await fetch(`${station.url}/api/models`)).json()) as {
      models: { id: string; capabilities: string[]; metadata: { visionSkills?: string[] } }[];
    };
    expect(models.find((model) => model.id === "vision/a-qwen2-vl-words")).toMatchObject({
      capabilities: ["vision", "detect", "point"],
      metadata: { visionSkills: ["caption", "query", "detect", "point"] },
    });
    expect(await (await fetch(`${station.url}/model/info`)).json()).toMatchObject({
      model: "vision/qwen2-vl-grounding",
      capabilities: ["caption", "query", "detect", "point"],
    });
  });

  it("the official moondream client detects the box (0–1000 grid to 0–1) and points at its centre", async () => {
    const { objects } = await client.detect({ image, object: "the cat" });
    expect(objects).toEqual([{ x_min: 0.25, y_min: 0.125, x_max: 0.75, y_max: 0.875 }]);
    // The configured threads reach the loaded model.
    expect(await ps("vision/qwen2-vl-grounding")).toMatchObject({ threads: 3 });
    const { points } = await client.point({ image, object: "the cat" });
    expect(points).toEqual([{ x: 0.5, y: 0.5 }]);
  });

  it("detect and point on the same image run the vision encoder once", async () => {
    const metrics = async () =>
      ((await (await fetch(`${station.url}/v1/system/metrics`)).json()) as { visionEncodeCache: { encoderRuns: number } }).visionEncodeCache
        .encoderRuns;
    const fresh = await solidPng(60, 90, { r: 0, g: 120, b: 200 });
    const before = await metrics();
    await client.detect({ image: fresh, object: "the cat" });
    await client.point({ image: fresh, object: "the cat" });
    expect(await metrics()).toBe(before + 1);
  });

  it.each([
    ["free text", "vision/a-qwen2-vl-words"],
    ["a box cut off by the token limit", "vision/qwen2-vl-cut"],
  ])("an answer with %s is no box: empty lists, not an error, and the server stays up", async (_, model) => {
    const detected = await post("/v1/detect", { image_url: toDataUrl(image), model, object: "the cat" });
    expect(detected.status).toBe(200);
    expect(await detected.json()).toMatchObject({ objects: [] });
    const pointed = await post("/v1/point", { image_url: toDataUrl(image), model, object: "the cat" });
    expect(pointed.status).toBe(200);
    expect(await pointed.json()).toMatchObject({ points: [] });
    expect((await fetch(`${station.url}/health`)).status).toBe(200);
  });

  it("captions on /caption and /describe (the caption API's synchronous routes) with the local model", async () => {
    const model = "vision/a-qwen2-vl-words";
    const caption = await post("/caption", { image_data: image.toString("base64"), model });
    expect(await caption.json()).toMatchObject({ caption: "Two red squares", model });
    const described = await post("/describe", { image_data: toDataUrl(image), model, prompt: "What is it?" });
    expect(await described.json()).toMatchObject({ description: "Two red squares", model, prompt: "What is it?" });
  });

  it("a text-only chat model gets defaults.visionModel's description of an attached image, not the first local model's", async () => {
    const form = new FormData();
    form.append("file", new Blob([image], { type: "image/png" }), "photo.png");
    const upload = await fetch(`${station.url}/api/uploads`, { method: "POST", body: form });
    const { id } = (await upload.json()) as { id: string };
    const reply = await postChatStream(station.url, { client_id: "blind-reader", message: "What is this?", attachments: [id] });
    expect(reply.events.at(-1)?.event).toBe("done");
    const request: ChatRequest | undefined = textOnly.requests.at(-1);
    const content = request === undefined ? undefined : lastMessage(request)?.content;
    const text = typeof content === "string" ? content : (content ?? []).map((part) => (part.type === "text" ? part.text : "")).join("\n");
    expect(text).toContain("What is this?");
    // The grounding model's caption is its scripted answer, its special tokens dropped.
    expect(text).toContain("a local vision model describes it]\nthe cat(250,125),(750,875)");
    expect(text).not.toContain("Two red squares");
  }, 60_000);
});
