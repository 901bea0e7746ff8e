import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatRequest, ImagePart, ModelInfo } from "../src/providers/spec/index.ts";
import { connectRealtime } from "./realtime/realtime-client.ts";
import { createScriptedChatProvider, lastMessage } from "./support/chat-scripted-provider.ts";
import { postChatStream } from "./support/chat-sse-client.ts";
import { type FakeOpenAiUpstream, startFakeOpenAiUpstream } from "./support/fake-openai-upstream.ts";
import { startTestStation, type TestStation } from "./support/start-test-station.ts";
import { pngBomb, toDataUrl } from "./support/vision-images.ts";

/**
 * Every image that reaches a model or an upstream goes through the one image intake (format,
 * byte and pixel limits, orientation, longest side ≤ 2048, re-encoded): chat attachments (to a
 * model that sees, and to OCR for one that does not) and /v1/chat/completions image_url parts.
 */

/** A greyscale PNG of 7000×7000 pixels (49 megapixels, under vision.maxPixels) in about 60 KB; made once. */
let huge: Promise<Buffer> | undefined;
function hugePng(): Promise<Buffer> {
  huge ??= sharp({ create: { width: 7000, height: 7000, channels: 3, background: { r: 250, g: 250, b: 250 } } })
    .toColourspace("b-w")
    .png({ compressionLevel: 9 })
    .toBuffer();
  return huge;
}

/** A real JPEG whose second half is missing. */
async function truncatedJpeg(): Promise<Buffer> {
  const whole = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 30, g: 90, b: 160 } } })
    .jpeg()
    .toBuffer();
  return whole.subarray(0, Math.floor(whole.length / 2));
}

const svg = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="4000" height="4000"><image href="http://169.254.169.254/latest/meta-data"/></svg>',
);

async function dimensionsOf(bytes: Uint8Array): Promise<{ width?: number; height?: number; format?: string }> {
  const { width, height, format } = await sharp(bytes).metadata();
  return { width, height, format };
}

describe("hostile images", () => {
  let station: TestStation;
  let upstream: FakeOpenAiUpstream;
  const seeing = createScriptedChatProvider("seeing", () => ({ text: "I see it" }));
  const blind = createScriptedChatProvider("blind", () => ({ text: "noted" }));
  const listBlind = blind.listModels.bind(blind);
  blind.listModels = async (): Promise<ModelInfo[]> =>
    (await listBlind()).map((model) => ({ ...model, capabilities: model.capabilities.filter((capability) => capability !== "vision") }));

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ models: ["gpt-4o-test"] });
    station = await startTestStation({
      providers: [seeing, blind],
      config: {
        providers: [
          { id: "ocr", type: "ocr" },
          { id: "fake", type: "openai", baseUrl: upstream.url },
        ],
      },
    });
  });
  afterAll(async () => {
    await station?.close();
    await upstream?.close();
  });

  const upload = async (bytes: Uint8Array, filename: string, type: string): Promise<string> => {
    const form = new FormData();
    form.append("file", new Blob([bytes], { type }), filename);
    const response = await fetch(`${station.url}/api/uploads`, { method: "POST", body: form });
    expect(response.status).toBe(201);
    return ((await response.json()) as { id: string }).id;
  };
  const imagesOf = (request: ChatRequest | undefined): ImagePart[] => {
    const content = request === undefined ? [] : lastMessage(request)?.content;
    return typeof content === "string" || content === undefined ? [] : content.filter((part): part is ImagePart => part.type === "image");
  };

  it("a 7000×7000 PNG attachment reaches a model that sees as a bounded, re-encoded image", async () => {
    const id = await upload(await hugePng(), "huge.png", "image/png");
    const result = await postChatStream(station.url, {
      client_id: "hostile",
      model: "seeing/scripted",
      message: "What is it?",
      attachments: [id],
    });
    expect(result.events.at(-1)?.event).toBe("done");
    const [image] = imagesOf(seeing.requests.at(-1));
    expect(image?.mediaType).toBe("image/jpeg");
    expect(await dimensionsOf(image?.data ?? new Uint8Array())).toEqual({ width: 2048, height: 2048, format: "jpeg" });
  });

  it("a 7000×7000 PNG attachment to a text-only model is read by OCR at the bounded size, and the server lives on", async () => {
    const id = await upload(await hugePng(), "huge.png", "image/png");
    const result = await postChatStream(station.url, {
      client_id: "hostile",
      model: "blind/scripted",
      message: "Read it",
      attachments: [id],
    });
    expect(result.events.at(-1)?.event).toBe("done");
    const sent = lastMessage(blind.requests.at(-1) as ChatRequest)?.content;
    expect(JSON.stringify(sent)).toContain("OCR found no text");
    expect((await fetch(`${station.url}/health`)).status).toBe(200);
  }, 120_000);

  it.each([
    ["a decompression bomb", () => pngBomb(), "image/png", "image_too_large"],
    ["a truncated JPEG", () => truncatedJpeg(), "image/jpeg", "invalid_image"],
  ] as const)("%s as an attachment is a 400 before the stream, for either kind of model", async (_name, make, type, code) => {
    const id = await upload(await make(), "hostile", type);
    for (const model of ["blind/scripted", "seeing/scripted"]) {
      const requestsBefore = seeing.requests.length + blind.requests.length;
      const result = await postChatStream(station.url, { client_id: "hostile", model, message: "Look", attachments: [id] });
      expect(result.status, model).toBe(400);
      expect(result.json?.error, model).toMatchObject({ code, param: "attachments" });
      expect(seeing.requests.length + blind.requests.length).toBe(requestsBefore);
    }
    expect((await fetch(`${station.url}/health`)).status).toBe(200);
  });

  it("realtime frames: a bomb is an error event, a 7000×7000 frame is held at the bounded size", async () => {
    const client = await connectRealtime(station.url);
    try {
      await client.next("session.created");
      client.send({ type: "image", event_id: "bomb", image: toDataUrl(pngBomb()) });
      expect(await client.next("error")).toMatchObject({ event_id: "bomb", code: "image_too_large" });
      client.send({ type: "image", event_id: "huge", image: toDataUrl(await hugePng()) });
      expect(await client.next("frame.accepted")).toMatchObject({ width: 2048, height: 2048 });
    } finally {
      await client.close();
    }
  });

  it.each([
    [
      "Ollama /api/chat",
      "/api/chat",
      (image: string) => ({ model: "seeing/scripted", stream: false, messages: [{ role: "user", content: "?", images: [image] }] }),
    ],
    [
      "Anthropic /v1/messages",
      "/v1/messages",
      (image: string) => ({
        model: "seeing/scripted",
        max_tokens: 16,
        messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: image } }] }],
      }),
    ],
    [
      "OpenAI /v1/responses",
      "/v1/responses",
      (image: string) => ({
        model: "seeing/scripted",
        input: [{ role: "user", content: [{ type: "input_image", image_url: `data:image/png;base64,${image}` }] }],
      }),
    ],
  ] as const)("%s refuses a decompression bomb before any model sees it", async (_name, path, body) => {
    const before = seeing.requests.length;
    const response = await fetch(`${station.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body(pngBomb().toString("base64"))),
    });
    expect(response.status).toBe(400);
    // Each surface in its own error shape (Ollama and Anthropic carry no code): the intake's pixel limit.
    expect(await response.text()).toContain("(vision.maxPixels)");
    expect(seeing.requests.length).toBe(before);
  });

  describe("/v1/chat/completions image_url parts", () => {
    const complete = (url: string) =>
      fetch(`${station.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "fake/gpt-4o-test",
          messages: [
            {
              role: "user",
              content: [
                { type: "text", text: "What is it?" },
                { type: "image_url", image_url: { url, detail: "low" } },
              ],
            },
          ],
        }),
      });

    it.each([
      ["an SVG", () => toDataUrl(svg, "image/svg+xml"), "unsupported_image_format"],
      ["a decompression bomb", () => toDataUrl(pngBomb()), "image_too_large"],
      ["a truncated JPEG", async () => toDataUrl(await truncatedJpeg(), "image/jpeg"), "invalid_image"],
    ] as const)("%s is a 400 naming the part, and reaches no upstream", async (_name, make, code) => {
      const before = upstream.requests.length;
      const response = await complete(await make());
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: unknown }).error).toMatchObject({
        code,
        type: "invalid_request_error",
        param: "messages[0].content[1].image_url",
      });
      expect(upstream.requests.length).toBe(before);
    });

    it("a 7000×7000 PNG is relayed as the intake's bounded image, the part's other fields kept", async () => {
      const response = await complete(toDataUrl(await hugePng()));
      expect(response.status).toBe(200);
      const messages = upstream.requests.at(-1)?.body?.messages as { content: { image_url?: { url: string; detail?: string } }[] }[];
      const relayed = messages[0]?.content[1]?.image_url;
      expect(relayed?.detail).toBe("low");
      const match = /^data:image\/jpeg;base64,(.+)$/.exec(relayed?.url ?? "");
      expect(match).not.toBeNull();
      expect(await dimensionsOf(Buffer.from(match?.[1] ?? "", "base64"))).toEqual({ width: 2048, height: 2048, format: "jpeg" });
    });
  });
});
