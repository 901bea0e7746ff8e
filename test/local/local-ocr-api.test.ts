import { vl } from "moondream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderTextPng } from "../support/ocr-render-text.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";

let station: TestStation;

beforeAll(async () => {
  station = await startTestStation({ config: { providers: [{ id: "ocr", type: "ocr" }] } });
});

afterAll(async () => {
  await station?.close();
});

describe("embedded OCR through the Moondream-compatible API", () => {
  it("the official moondream client's query reads rendered text back exactly (OCR is the only vision model)", async () => {
    const client = new vl({ apiKey: "unused", endpoint: `${station.url}/v1` });
    const image = await renderTextPng(["Station reads this", "Order 7731"]);
    const reply = await client.query({ image, question: "What does the sign say?" });
    expect(reply.answer).toBe("Station reads this\nOrder 7731");
  }, 60_000);

  it("POST /v1/query with model ocr/ppocr-v4 answers with the text", async () => {
    const image = await renderTextPng(["PLATFORM 9"]);
    const response = await fetch(`${station.url}/v1/query`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "ocr/ppocr-v4", image_url: `data:image/png;base64,${image.toString("base64")}`, question: "text?" }),
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { answer: string }).answer).toBe("PLATFORM 9");
  }, 60_000);
});
