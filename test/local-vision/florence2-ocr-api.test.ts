import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ModelInfo } from "../../src/providers/spec/index.ts";
import { createScriptedChatProvider, lastMessage, type ScriptedChatProvider } from "../support/chat-scripted-provider.ts";
import { postChatStream } from "../support/chat-sse-client.ts";
import { renderTextPng } from "../support/ocr-render-text.ts";
import { residencyProbe } from "../support/residency-probe.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { writeTinyFlorence2 } from "../support/tiny-florence2.ts";
import { solidPng, toDataUrl } from "../support/vision-images.ts";

// What <OCR_WITH_REGION> answers: each region's text, then its quadrilateral (x1, y1, …, x4, y4 on the 0–999 bins),
// the lower line first (Station sorts lines top to bottom).
const regions = [
  { text: "Total 42.50", quad: [100, 600, 500, 620, 500, 700, 100, 680] },
  { text: "Receipt 2026", quad: [200, 100, 800, 100, 800, 200, 200, 200] },
];
// The tiny model answers its script to every prompt; as a caption the location tokens are left out.
const asCaption = "Total 42.50Receipt 2026";

/** A scripted chat model that cannot see images (its vision capability removed). */
function textOnlyProvider(): ScriptedChatProvider {
  const provider = createScriptedChatProvider("blind", () => ({ text: "noted" }));
  const list = provider.listModels.bind(provider);
  provider.listModels = async (): Promise<ModelInfo[]> =>
    (await list()).map((model) => ({ ...model, capabilities: model.capabilities.filter((capability) => capability !== "vision") }));
  return provider;
}

/** Uploads the image, sends it with a question to the default (text-only) chat model, and returns the text that model got. */
async function textTheBlindModelGets(stationUrl: string, provider: ScriptedChatProvider, image: Buffer): Promise<string> {
  const form = new FormData();
  form.append("file", new Blob([image], { type: "image/png" }), "receipt.png");
  const { id } = (await (await fetch(`${stationUrl}/api/uploads`, { method: "POST", body: form })).json()) as { id: string };
  const reply = await postChatStream(stationUrl, { client_id: "blind-reader", message: "What does it say?", attachments: [id] });
  expect(reply.events.at(-1)?.event).toBe("done");
  const request = provider.requests.at(-1);
  const content = request === undefined ? undefined : lastMessage(request)?.content;
  return typeof content === "string" ? content : (content ?? []).map((part) => (part.type === "text" ? part.text : "")).join("\n");
}

describe("Florence-2 reads text (<OCR_WITH_REGION>) where Station reads text", () => {
  let dataDir: string;
  let station: TestStation;
  let image: Buffer;
  const textOnly = textOnlyProvider();
  const { post } = residencyProbe(() => station.url);

  const readTextCalls = async () => {
    const metrics = (await (await fetch(`${station.url}/v1/system/metrics`)).json()) as {
      providers: { id: string; operations: { operation: string; ok: number }[] }[];
    };
    return (
      metrics.providers.find((provider) => provider.id === "vision")?.operations.find((entry) => entry.operation === "read_text")?.ok ?? 0
    );
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "station-florence2-ocr-"));
    const models = path.join(dataDir, "models");
    // Listed first: without defaults.visionModel it would describe images.
    writeTinyFlorence2(path.join(models, "a-florence-words"), { text: "A first model" });
    writeTinyFlorence2(path.join(models, "florence-ocr"), { regions });
    station = await startTestStation({
      dataDir,
      providers: [textOnly],
      config: {
        // No `ocr` provider: Florence-2 is the OCR.
        providers: [{ id: "vision", type: "local-vision" }],
        defaults: { visionModel: "vision/florence-ocr", chatModel: "blind/scripted" },
      },
    });
    image = await solidPng(96, 64);
  }, 60_000);
  afterAll(async () => {
    await station?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("lists Florence-2 with capability ocr in /v1/models, and /model/info with read_text", async () => {
    const { data } = (await (await fetch(`${station.url}/v1/models`)).json()) as { data: { id: string; capabilities?: string[] }[] };
    expect(data.find((model) => model.id === "vision/florence-ocr")?.capabilities).toEqual(["vision", "detect", "point", "ocr"]);
    const ocrModels = (await (await fetch(`${station.url}/api/models?capability=ocr`)).json()) as { models: { id: string }[] };
    expect(ocrModels.models.map((model) => model.id)).toEqual(["vision/a-florence-words", "vision/florence-ocr"]);
    const { models } = (await (await fetch(`${station.url}/api/models`)).json()) as {
      models: { id: string; metadata: { visionSkills?: string[] } }[];
    };
    expect(models.find((model) => model.id === "vision/florence-ocr")?.metadata.visionSkills).toEqual([
      "caption",
      "query",
      "detect",
      "point",
      "read_text",
    ]);
    expect(await (await fetch(`${station.url}/model/info`)).json()).toMatchObject({
      model: "vision/florence-ocr",
      capabilities: ["caption", "query", "detect", "point", "read_text"],
      model_capabilities: ["vision", "detect", "point", "ocr"],
    });
  });

  it("a text-only chat model gets defaults.visionModel's description and Florence-2's lines, read through the resilience layer", async () => {
    const before = await readTextCalls();
    const text = await textTheBlindModelGets(station.url, textOnly, image);
    expect(text).toContain("What does it say?");
    // defaults.visionModel (florence-ocr) describes, not the first local model ("A first model").
    expect(text).toContain(
      `a local vision model describes it, then the text OCR read from it]\n${asCaption}\nText: Receipt 2026\nTotal 42.50`,
    );
    expect(text).not.toContain("A first model");
    expect(await readTextCalls()).toBe(before + 1);
  }, 60_000);

  it("answers a query with the <OCR> task prompt", async () => {
    const reply = await post("/v1/query", { image_url: toDataUrl(image), model: "vision/florence-ocr", question: "<OCR>" });
    expect(reply.status).toBe(200);
    expect(await reply.json()).toMatchObject({ answer: asCaption });
  });

  it("describes an uploaded file on /describe/file (multipart) with a local model", async () => {
    const form = new FormData();
    form.append("file", new Blob([image], { type: "image/png" }), "photo.png");
    form.append("model", "vision/a-florence-words");
    form.append("prompt", "What is it?");
    const reply = await fetch(`${station.url}/describe/file`, { method: "POST", body: form });
    expect(reply.status).toBe(200);
    expect(await reply.json()).toEqual({ description: "A first model", model: "vision/a-florence-words", prompt: "What is it?" });
    const caption = new FormData();
    caption.append("file", new Blob([image], { type: "image/png" }), "photo.png");
    caption.append("length", "short");
    const captioned = await fetch(`${station.url}/describe/file`, { method: "POST", body: caption });
    expect(await captioned.json()).toEqual({ description: asCaption, model: "vision/florence-ocr" });
  });
});

describe("with the embedded OCR and a local Florence-2 both present", () => {
  let dataDir: string;
  let station: TestStation;
  const textOnly = textOnlyProvider();

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "station-florence2-ocr-embedded-"));
    writeTinyFlorence2(path.join(dataDir, "models", "florence-ocr"), { regions });
    station = await startTestStation({
      dataDir,
      providers: [textOnly],
      config: {
        providers: [
          { id: "vision", type: "local-vision" },
          { id: "ocr", type: "ocr" },
        ],
        defaults: { chatModel: "blind/scripted" },
      },
    });
  }, 60_000);
  afterAll(async () => {
    await station?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("the blind-model fallback reads text with the embedded OCR, and Florence-2 describes", async () => {
    const text = await textTheBlindModelGets(station.url, textOnly, await renderTextPng(["HELLO STATION"]));
    expect(text).toContain(`a local vision model describes it, then the text OCR read from it]\n${asCaption}\nText: HELLO STATION`);
    expect(text).not.toContain("Receipt 2026\nTotal 42.50");
  }, 120_000);
});
