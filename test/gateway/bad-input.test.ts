import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAiUpstream, onePixelPng, startFakeOpenAiUpstream } from "../support/fake-openai-upstream.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";

interface OpenAiErrorBody {
  error: { message: string; type: string; code: string; param: string | null };
}

/** Bad requests get a clear 4xx in OpenAI's shape, reach no upstream, and leave the server fine. */
describe("OpenAI API: bad input", () => {
  let upstream: FakeOpenAiUpstream;
  let station: TestStation;
  const bodyLimit = 256 * 1024;

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ models: ["gpt-test", "gpt-4o-test", "text-embedding-test"] });
    station = await startTestStation({
      config: { server: { bodyLimitBytes: bodyLimit }, providers: [{ id: "fake", type: "openai", baseUrl: upstream.url }] },
    });
  });

  afterAll(async () => {
    await station?.close();
    await upstream?.close();
  });

  const post = async (path: string, body: unknown, raw = false): Promise<{ status: number; body: OpenAiErrorBody }> => {
    const response = await fetch(`${station.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: raw ? (body as string) : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as OpenAiErrorBody };
  };

  it.each([
    ["messages is not an array", { model: "fake/gpt-test", messages: "Hi" }, "messages"],
    ["messages is empty", { model: "fake/gpt-test", messages: [] }, "messages"],
    ["an unknown role", { model: "fake/gpt-test", messages: [{ role: "wizard", content: "Hi" }] }, "messages.0.role"],
    ["temperature is a string", { model: "fake/gpt-test", messages: [{ role: "user", content: "Hi" }], temperature: "hot" }, "temperature"],
    ["stream is a string", { model: "fake/gpt-test", messages: [{ role: "user", content: "Hi" }], stream: "yes" }, "stream"],
    ["model is a number", { model: 42, messages: [{ role: "user", content: "Hi" }] }, "model"],
    ["content is a number", { model: "fake/gpt-test", messages: [{ role: "user", content: 7 }] }, "messages.0.content"],
    [
      "a text part has no text",
      { model: "fake/gpt-test", messages: [{ role: "user", content: [{ type: "text", txt: "Hi" }] }] },
      "messages.0.content",
    ],
    [
      "an image part has no image_url",
      { model: "fake/gpt-test", messages: [{ role: "user", content: [{ type: "image_url", url: "https://example.com/a.png" }] }] },
      "messages.0.content",
    ],
  ])("refuses a chat request where %s", async (_name, body, param) => {
    const before = upstream.requests.length;
    const response = await post("/v1/chat/completions", body);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ type: "invalid_request_error", param });
    expect(response.body.error.message.length).toBeGreaterThan(0);
    expect(upstream.requests.length).toBe(before);
  });

  it("refuses a missing model when no default is configured", async () => {
    const response = await post("/v1/chat/completions", { messages: [{ role: "user", content: "Hi" }] });
    expect(response.status).toBe(400);
    expect(response.body.error.param).toBe("model");
  });

  it("refuses malformed JSON", async () => {
    const response = await post("/v1/chat/completions", '{"model": "fake/gpt-test", "messages": [', true);
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: "invalid_json", type: "invalid_request_error" });
  });

  it("answers an unknown model with 404 model_not_found in OpenAI's shape", async () => {
    for (const model of ["fake/no-such-model", "nobody/gpt-test", "no-slash-and-unknown"]) {
      const response = await post("/v1/chat/completions", { model, messages: [{ role: "user", content: "Hi" }] });
      expect(response.status, model).toBe(404);
      expect(response.body.error, model).toEqual({
        message: expect.stringContaining(model),
        type: "not_found_error",
        code: "model_not_found",
        param: "model",
      });
    }
  });

  it("refuses a body over the limit with 413, and relays a large one under it intact", async () => {
    const huge = await post("/v1/chat/completions", {
      model: "fake/gpt-test",
      messages: [{ role: "user", content: "x".repeat(bodyLimit + 10) }],
    });
    expect(huge.status).toBe(413);
    expect(huge.body.error.code).toBe("payload_too_large");
    const large = "é".repeat(100_000);
    const response = await fetch(`${station.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "fake/gpt-test", messages: [{ role: "user", content: large }] }),
    });
    expect(response.status).toBe(200);
    expect((upstream.requests.at(-1)?.body?.messages as { content: string }[] | undefined)?.[0]?.content).toBe(large);
  });

  it("refuses image URLs that point at private addresses (SSRF guard)", async () => {
    const response = await post("/v1/chat/completions", {
      model: "fake/gpt-4o-test",
      messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: `${upstream.origin}/v1/models` } }] }],
    });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: "url_not_allowed", param: "messages[0].content[0].image_url" });
  });

  it("refuses an image whose data: URL is not an image", async () => {
    const response = await post("/v1/chat/completions", {
      model: "fake/gpt-4o-test",
      messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: `data:text/plain;base64,${onePixelPng}` } }] }],
    });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: "invalid_image", param: "messages[0].content[0].image_url" });
  });

  it("refuses bad embeddings input", async () => {
    const objectInput = await post("/v1/embeddings", { model: "fake/text-embedding-test", input: { text: "hi" } });
    expect(objectInput.status).toBe(400);
    expect(objectInput.body.error.param).toBe("input");
    const tokens = await post("/v1/embeddings", { model: "fake/text-embedding-test", input: [1, 2, 3] });
    expect(tokens.status).toBe(400);
    const format = await post("/v1/embeddings", { model: "fake/text-embedding-test", input: "hi", encoding_format: "hex" });
    expect(format.status).toBe(400);
    const chatModel = await post("/v1/embeddings", { model: "fake/gpt-test", input: "hi" });
    expect(chatModel.status).toBe(400);
    expect(chatModel.body.error.message).toMatch(/cannot make embeddings/);
  });

  it("refuses image generation without an image model", async () => {
    const none = await post("/v1/images/generations", { prompt: "a cat" });
    expect(none.status).toBe(400);
    expect(none.body.error.message).toMatch(/No image generation model/);
    const chatModel = await post("/v1/images/generations", { model: "fake/gpt-test", prompt: "a cat" });
    expect(chatModel.status).toBe(400);
  });

  it("answers a request Node's HTTP parser rejects (unknown method, bad syntax) in Station's error shape", async () => {
    for (const raw of ["FOO /v1/models HTTP/1.1\r\nHost: x\r\n\r\n", "GET /v1/models HTTP/1.1\r\nBad Header\r\n\r\n"]) {
      const reply = await rawExchange(station.url, raw);
      expect(reply.split("\r\n", 1)[0]).toBe("HTTP/1.1 400 Bad Request");
      const body = JSON.parse(reply.slice(reply.indexOf("\r\n\r\n") + 4)) as { error: { code: string; message: string } };
      expect(body.error.code).toBe("malformed_request");
    }
  });

  it("still answers normally after all of that", async () => {
    const response = await post("/v1/chat/completions", { model: "fake/gpt-test", messages: [{ role: "user", content: "Hi" }] });
    expect(response.status).toBe(200);
    const health = await fetch(`${station.url}/health`);
    expect(health.status).toBe(200);
  });
});

/** Writes raw bytes to the server and reads until it closes the connection. */
function rawExchange(url: string, raw: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(raw));
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      text += chunk;
    });
    socket.on("close", () => resolve(text));
    socket.on("error", reject);
  });
}
