import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import OpenAI, { type APIError } from "openai";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { embeddingOf, type FakeOpenAiUpstream, onePixelPng, startFakeOpenAiUpstream } from "../support/fake-openai-upstream.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";

/** The official `openai` client, unchanged, against Station in front of an OpenAI-compatible upstream. */
describe("OpenAI-compatible API with the official client", () => {
  let upstream: FakeOpenAiUpstream;
  let station: TestStation;
  let client: OpenAI;
  let imageServer: Server;
  let imageUrl: string;

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ models: ["gpt-test", "gpt-4o-test", "text-embedding-test", "dall-e-test"] });
    imageServer = createServer((request, response) => {
      if (request.url === "/cat.png") {
        response.writeHead(200, { "content-type": "image/png" });
        response.end(Buffer.from(onePixelPng, "base64"));
      } else {
        response.writeHead(200, { "content-type": "text/html" });
        response.end("<html></html>");
      }
    });
    await new Promise<void>((resolve) => imageServer.listen(0, "127.0.0.1", resolve));
    imageUrl = `http://127.0.0.1:${(imageServer.address() as AddressInfo).port}`;
    station = await startTestStation({
      config: {
        providers: [{ id: "fake", type: "openai", baseUrl: upstream.url, apiKey: "sk-upstream" }],
        routes: [{ model: "chat-default", strategy: "fallback", targets: ["fake/gpt-test"] }],
        security: { allowPrivateNetworks: true },
      },
    });
    client = new OpenAI({ baseURL: `${station.url}/v1`, apiKey: "unused", maxRetries: 0 });
  });

  afterAll(async () => {
    await station?.close();
    await upstream?.close();
    await new Promise((resolve) => imageServer?.close(resolve));
  });

  it("lists models, routes included, and reads one model whose id has a slash", async () => {
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(["chat-default", "fake/gpt-test", "fake/gpt-4o-test", "fake/text-embedding-test"]));
    const model = await client.models.retrieve("fake/gpt-test");
    expect(model).toMatchObject({ id: "fake/gpt-test", object: "model", owned_by: "fake" });
  });

  it("answers a chat completion and forwards the body with only the model rewritten", async () => {
    upstream.script({ text: "Hello there" });
    const completion = await client.chat.completions.create({
      model: "fake/gpt-test",
      messages: [{ role: "user", content: "Hi" }],
      temperature: 0.2,
      response_format: { type: "json_object" },
      // A vendor extension must travel untouched.
      ...({ top_k: 5 } as object),
    });
    expect(completion.choices[0]?.message.content).toBe("Hello there");
    expect(completion.usage?.total_tokens).toBeGreaterThan(0);
    const sent = upstream.requests.at(-1);
    expect(sent?.body).toEqual({
      model: "gpt-test",
      messages: [{ role: "user", content: "Hi" }],
      temperature: 0.2,
      response_format: { type: "json_object" },
      top_k: 5,
    });
    expect(sent?.headers.authorization).toBe("Bearer sk-upstream");
  });

  it("reports Station's own overhead in x-station-overhead-ms", async () => {
    upstream.script({ text: "x" });
    const { response } = await client.chat.completions
      .create({ model: "fake/gpt-test", messages: [{ role: "user", content: "Hi" }] })
      .withResponse();
    const overhead = Number(response.headers.get("x-station-overhead-ms"));
    expect(Number.isFinite(overhead)).toBe(true);
    expect(overhead).toBeGreaterThanOrEqual(0);
    expect(response.headers.get("x-request-id")).toBeTruthy();
  });

  it("resolves a route name as a model", async () => {
    upstream.script({ text: "via route" });
    const completion = await client.chat.completions.create({ model: "chat-default", messages: [{ role: "user", content: "Hi" }] });
    expect(completion.choices[0]?.message.content).toBe("via route");
    expect(upstream.requests.at(-1)?.body?.model).toBe("gpt-test");
  });

  it("streams with a final usage chunk when include_usage is set", async () => {
    upstream.script({ text: "Streaming works fine", chunkSize: 3 });
    const stream = await client.chat.completions.create({
      model: "fake/gpt-test",
      messages: [{ role: "user", content: "Hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("Streaming works fine");
    expect(chunks).toBeGreaterThan(5);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it("returns tool calls without streaming", async () => {
    upstream.script({ toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' }] });
    const completion = await client.chat.completions.create({
      model: "fake/gpt-test",
      messages: [{ role: "user", content: "Weather?" }],
      tools: [
        { type: "function", function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } } },
      ],
    });
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.tool_calls?.[0]).toMatchObject({
      id: "call_1",
      type: "function",
      function: { name: "get_weather", arguments: '{"city":"Paris"}' },
    });
  });

  it("streams tool calls whose deltas merge into whole calls", async () => {
    upstream.script({
      toolCalls: [
        { id: "call_a", name: "get_weather", arguments: '{"city":"Paris","unit":"c"}' },
        { id: "call_b", name: "get_time", arguments: '{"zone":"CET"}' },
      ],
      chunkSize: 5,
    });
    const runner = client.chat.completions.stream({
      model: "fake/gpt-test",
      messages: [{ role: "user", content: "Weather and time?" }],
      tools: [
        { type: "function", function: { name: "get_weather", parameters: { type: "object" } } },
        { type: "function", function: { name: "get_time", parameters: { type: "object" } } },
      ],
    });
    const final = await runner.finalChatCompletion();
    const calls = final.choices[0]?.message.tool_calls?.map((call) =>
      call.type === "function" ? [call.id, call.function.name, call.function.arguments] : [],
    );
    expect(calls).toEqual([
      ["call_a", "get_weather", '{"city":"Paris","unit":"c"}'],
      ["call_b", "get_time", '{"zone":"CET"}'],
    ]);
    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
  });

  it("makes embeddings as floats and as base64 (the client's default)", async () => {
    const floats = await client.embeddings.create({
      model: "fake/text-embedding-test",
      input: ["alpha", "beta"],
      encoding_format: "float",
    });
    expect(floats.data.map((item) => item.embedding)).toEqual([embeddingOf("alpha"), embeddingOf("beta")]);
    // No encoding_format: the official client asks for base64 and decodes it itself.
    const decoded = await client.embeddings.create({ model: "fake/text-embedding-test", input: "alpha" });
    expect(decoded.data[0]?.embedding).toEqual(embeddingOf("alpha"));
    expect(upstream.requests.at(-1)?.body?.encoding_format).toBe("float");
    const raw = await fetch(`${station.url}/v1/embeddings`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "fake/text-embedding-test", input: "alpha", encoding_format: "base64" }),
    });
    const body = (await raw.json()) as { data: { embedding: string }[] };
    expect(typeof body.data[0]?.embedding).toBe("string");
    const bytes = Buffer.from(body.data[0]?.embedding ?? "", "base64");
    expect([...new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4)]).toEqual(embeddingOf("alpha"));
  });

  it("sends data: and http(s) images to a vision model as the image intake prepared them, inlined as data: URLs", async () => {
    upstream.script({ text: "a cat" });
    const completion = await client.chat.completions.create({
      model: "fake/gpt-4o-test",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "What is this?" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${onePixelPng}` } },
            { type: "image_url", image_url: { url: `${imageUrl}/cat.png`, detail: "low" } },
          ],
        },
      ],
    });
    expect(completion.choices[0]?.message.content).toBe("a cat");
    const messages = upstream.requests.at(-1)?.body?.messages as { content: { image_url?: { url: string; detail?: string } }[] }[];
    const content = messages[0]?.content;
    // Both parts hold the same 1×1 PNG (with alpha): the intake re-encodes it once, as a PNG.
    const inlined = content?.[1]?.image_url?.url ?? "";
    expect(inlined).toMatch(/^data:image\/png;base64,/);
    expect(content?.[2]?.image_url).toEqual({ url: inlined, detail: "low" });
    const decoded = await sharp(Buffer.from(inlined.slice(inlined.indexOf(",") + 1), "base64")).metadata();
    expect([decoded.format, decoded.width, decoded.height]).toEqual(["png", 1, 1]);
  });

  it("refuses images for a text-only model with a clear 400", async () => {
    const before = upstream.requests.length;
    const error = await client.chat.completions
      .create({
        model: "fake/gpt-test",
        messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: `data:image/png;base64,${onePixelPng}` } }] }],
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as APIError).message).toMatch(/does not accept images/);
    expect(upstream.requests.length).toBe(before);
  });

  it("refuses invalid image URLs with a 400 naming the part", async () => {
    for (const url of ["data:image/png;base64,@@@notbase64", "ftp://example.com/cat.png", "not a url", `${imageUrl}/page.html`]) {
      const error = await client.chat.completions
        .create({ model: "fake/gpt-4o-test", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url } }] }] })
        .catch((caught: unknown) => caught);
      expect(error, url).toBeInstanceOf(OpenAI.BadRequestError);
      expect((error as APIError).param, url).toBe("messages[0].content[0].image_url");
    }
  });

  it("generates images through a provider with an image model", async () => {
    const images = await client.images.generate({ model: "fake/dall-e-test", prompt: "a lighthouse", response_format: "b64_json" });
    expect(images.data?.[0]?.b64_json).toBe(onePixelPng);
    const asUrl = await client.images.generate({ model: "fake/dall-e-test", prompt: "a lighthouse" });
    expect(asUrl.data?.[0]?.url).toBe(`data:image/png;base64,${onePixelPng}`);
  });

  it("answers an unknown model with a 404 in OpenAI's shape", async () => {
    const error = await client.chat.completions
      .create({ model: "fake/nope", messages: [{ role: "user", content: "Hi" }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.NotFoundError);
    expect((error as APIError).code).toBe("model_not_found");
    const missingProvider = await client.models.retrieve("nobody/model").catch((caught: unknown) => caught);
    expect(missingProvider).toBeInstanceOf(OpenAI.NotFoundError);
  });
});
