import { describe, expect, it } from "vitest";
import { renderTextPng } from "../../../test/support/ocr-render-text.ts";
import { parseConfig } from "../../config/load-config.ts";
import { createOcrProvider, type OcrProviderConfig, ocrModelName } from "./create-ocr-provider.ts";

const config = parseConfig({ dataDir: "/tmp/unused", providers: [{ id: "ocr", type: "ocr" }] });
const provider = createOcrProvider(config.providers?.[0] as OcrProviderConfig);

describe("embedded OCR provider", () => {
  it("lists one model with capability ocr", async () => {
    expect(await provider.listModels()).toEqual([expect.objectContaining({ id: `ocr/${ocrModelName}`, capabilities: ["ocr"] })]);
  });

  it("reads rendered text back exactly, line by line, with boxes in image order", async () => {
    const image = {
      type: "image" as const,
      data: await renderTextPng(["Receipt 2026-114", "Total due: 42.50 EUR"]),
      mediaType: "image/png",
    };
    const model = provider.visionModel?.(ocrModelName);
    const result = await model?.readText?.({ model: ocrModelName, image });
    expect(result?.text).toBe("Receipt 2026-114\nTotal due: 42.50 EUR");
    expect(result?.lines).toHaveLength(2);
    const [first, second] = result?.lines ?? [];
    expect(first?.confidence).toBeGreaterThan(0.8);
    expect(first?.box.x_min).toBeLessThan(0.1);
    expect(first?.box.y_max).toBeLessThanOrEqual(second?.box.y_min ?? 0);
    expect(second?.box.x_max).toBeGreaterThan(0.3);
    expect(second?.box.x_max).toBeLessThan(1);
  }, 60_000);

  it("answers query and caption with the text it reads", async () => {
    const image = { type: "image" as const, data: await renderTextPng(["HELLO STATION"]), mediaType: "image/png" };
    const model = provider.visionModel?.(ocrModelName);
    let answer = "";
    for await (const chunk of model?.query({ model: ocrModelName, image, question: "What does it say?" }) ?? []) answer += chunk;
    expect(answer).toBe("HELLO STATION");
    const blank = { type: "image" as const, data: await renderTextPng([""]), mediaType: "image/png" };
    let caption = "";
    for await (const chunk of model?.caption({ model: ocrModelName, image: blank, length: "short" }) ?? []) caption += chunk;
    expect(caption).toBe("(no text found)");
  }, 60_000);

  it("refuses an unknown model name", () => {
    expect(() => provider.visionModel?.("other")).toThrow(/does not exist/);
  });
});
