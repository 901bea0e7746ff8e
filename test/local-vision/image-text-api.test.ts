import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectCaptionsRefusedAsInvalid } from "../support/expect-captions-refused-as-invalid.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { writeTinyMoondream2 } from "../support/tiny-moondream2.ts";
import { writeTinyQwen2Vl } from "../support/tiny-qwen2vl.ts";
import { writeTinySmolVlm } from "../support/tiny-smolvlm.ts";
import { solidPng, toDataUrl } from "../support/vision-images.ts";

const captionAndQuery = { capabilities: ["vision"], skills: ["caption", "query"] };
// Qwen2-VL grounds in text; its detect and point are tested in qwen2vl-grounding-api.test.ts.
const grounding = { capabilities: ["vision", "detect", "point"], skills: ["caption", "query", "detect", "point"] };
const families = [
  { model: "vision/tiny-moondream2", family: "moondream2", architecture: "moondream1", text: "A red square", ...captionAndQuery },
  { model: "vision/tiny-qwen2-vl", family: "qwen2vl", architecture: "qwen2_vl", text: "Two red squares", ...grounding },
  // do_image_splitting: the 96 × 64 image goes to the encoder as 2 × 2 tiles and a global view (its graph takes exactly 5).
  { model: "vision/tiny-smolvlm-split", family: "smolvlm", architecture: "smolvlm", text: "Tiles here", ...captionAndQuery },
];

describe("moondream2, Qwen2-VL and a splitting SmolVLM (transformers.js, in worker threads) through the vision API", () => {
  let dataDir: string;
  let station: TestStation;
  let image: Buffer;

  const post = (route: string, body: unknown) =>
    fetch(`${station.url}${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "station-image-text-api-"));
    const models = path.join(dataDir, "models");
    writeTinyMoondream2(path.join(models, "tiny-moondream2"), { words: ["A", "red", "square"] });
    writeTinyQwen2Vl(path.join(models, "tiny-qwen2-vl"), { words: ["Two", "red", "squares"] });
    writeTinySmolVlm(path.join(models, "tiny-smolvlm-split"), { words: ["Tiles", "here"], splitInto: 5 });
    // The same models with a graph cut short: ONNX Runtime cannot parse it.
    for (const [name, write, graph] of [
      ["zz-broken-moondream2", writeTinyMoondream2, "decoder_model_merged"],
      ["zz-broken-qwen2-vl", writeTinyQwen2Vl, "vision_encoder"],
    ] as const) {
      write(path.join(models, name));
      const file = path.join(models, name, "onnx", `${graph}.onnx`);
      writeFileSync(file, readFileSync(file).subarray(0, 50));
    }
    station = await startTestStation({ dataDir, config: { providers: [{ id: "vision", type: "local-vision" }] } });
    image = await solidPng(96, 64);
  }, 60_000);
  afterAll(async () => {
    await station?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("lists each with its skills (caption and query; Qwen2-VL detect and point too)", async () => {
    const { data } = (await (await fetch(`${station.url}/v1/models`)).json()) as { data: { id: string }[] };
    const { models } = (await (await fetch(`${station.url}/api/models`)).json()) as {
      models: { id: string; capabilities: string[]; metadata: Record<string, unknown> }[];
    };
    for (const { model, family, architecture, capabilities, skills } of families) {
      expect(data.map((listed) => listed.id)).toContain(model);
      expect(models.find((listed) => listed.id === model)).toMatchObject({
        capabilities,
        metadata: { family, architecture, engine: "transformers.js", visionSkills: skills },
      });
    }
  });

  it.each(families)(
    "$family captions (streamed too) and answers; detect and point only where it grounds",
    async ({ model, text, skills }) => {
      const caption = await post("/v1/caption", { image_url: toDataUrl(image), model, length: "short" });
      expect(caption.status).toBe(200);
      expect(((await caption.json()) as { caption: string }).caption).toBe(text);
      const streamed = await post("/v1/caption", { image_url: toDataUrl(image), model, stream: true });
      const events = (await streamed.text())
        .split("\n")
        .filter((line) => line.startsWith("data: "))
        .map((line) => JSON.parse(line.slice("data: ".length)) as { chunk?: string; completed?: boolean });
      expect(events.map((event) => event.chunk ?? "").join("")).toBe(text);
      expect(events.filter((event) => (event.chunk ?? "") !== "").length).toBeGreaterThan(1);
      const answer = await post("/v1/query", { image_url: toDataUrl(image), model, question: "What is it?" });
      expect(((await answer.json()) as { answer: string }).answer).toBe(text);
      for (const route of ["/v1/detect", "/v1/point"]) {
        const located = await post(route, { image_url: toDataUrl(image), model, object: "square" });
        if (skills.includes("detect")) {
          // "Two red squares" holds no box: nothing found, not an error.
          expect(located.status).toBe(200);
          expect(Object.values((await located.json()) as Record<string, unknown>)).toContainEqual([]);
          continue;
        }
        expect(located.status).toBe(400);
        expect(((await located.json()) as { error: { code: string } }).error.code).toBe("unsupported");
      }
    },
  );

  it.each(families)(
    "$family answers /v1/chat/completions with an image_url part through the official openai client",
    async ({ model, text }) => {
      const openai = new OpenAI({ baseURL: `${station.url}/v1`, apiKey: "unused" });
      const completion = await openai.chat.completions.create({
        model,
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "What is this?" },
              { type: "image_url", image_url: { url: toDataUrl(image) } },
            ],
          },
        ],
      });
      expect(completion.choices[0]?.message.content).toBe(text);
    },
  );

  it("refuses a corrupt graph of either family with 422 model_invalid, and stays up", async () => {
    await expectCaptionsRefusedAsInvalid(station.url, toDataUrl(image), ["vision/zz-broken-moondream2", "vision/zz-broken-qwen2-vl"]);
    const caption = await post("/v1/caption", { image_url: toDataUrl(image), model: "vision/tiny-qwen2-vl" });
    expect(((await caption.json()) as { caption: string }).caption).toBe("Two red squares");
  });
});
