import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStation, type TestStation } from "./support/start-test-station.ts";
import { createVisionFakeChatProvider } from "./support/vision-fake-chat-provider.ts";
import { solidPng, toDataUrl } from "./support/vision-images.ts";

const post = async (station: TestStation, path: string, body: unknown) => {
  const response = await fetch(`${station.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  expect(response.status, path).toBe(200);
  return (await response.json()) as Record<string, unknown>;
};

/** The embedded defaults have OCR as their only vision model: a "caption" is the text in the picture, and Station says so. */
describe("vision with OCR alone", () => {
  let station: TestStation;
  let photo: Buffer;
  beforeAll(async () => {
    station = await startTestStation({ config: { providers: [{ id: "ocr", type: "ocr" }] } });
    photo = await solidPng(64, 48);
  });
  afterAll(async () => station.close());

  it("GET /health carries a visionHint with the command that gets a captioning model", async () => {
    const health = (await (await fetch(`${station.url}/health`)).json()) as { visionHint?: string };
    expect(health.visionHint).toMatch(/^No captioning model is available\. .*OCR \(ocr\/ppocr-v4\).*bin\/station pull hf:/);
  });

  it("the caption and query replies name the OCR model and carry the hint", async () => {
    const seed = await post(station, "/caption", { image_data: photo.toString("base64") });
    expect(seed).toMatchObject({ model: "ocr/ppocr-v4", hint: expect.stringContaining("No captioning model") });
    const caption = await post(station, "/v1/caption", { image_url: toDataUrl(photo) });
    expect(caption).toMatchObject({ model: "ocr/ppocr-v4", hint: expect.stringContaining("No captioning model") });
    const query = await post(station, "/v1/query", { image_url: toDataUrl(photo), question: "What is in this photo?" });
    expect(query).toMatchObject({ model: "ocr/ppocr-v4", hint: expect.stringContaining("No captioning model") });
  }, 120_000);
});

describe("vision with a model that can see", () => {
  let station: TestStation;
  beforeAll(async () => {
    station = await startTestStation({
      providers: [createVisionFakeChatProvider("eyes")],
      config: { providers: [{ id: "ocr", type: "ocr" }] },
    });
  });
  afterAll(async () => station.close());

  it("the hint is gone from /health and from replies of the model that sees", async () => {
    const health = (await (await fetch(`${station.url}/health`)).json()) as { visionHint?: string };
    expect(health.visionHint).toBeUndefined();
    const caption = await post(station, "/v1/caption", { image_url: toDataUrl(await solidPng(32, 24)) });
    expect(caption.model).toBe("eyes/seer");
    expect(caption.hint).toBeUndefined();
  });
});
