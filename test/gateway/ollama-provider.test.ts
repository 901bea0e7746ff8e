import OpenAI from "openai";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOllamaUpstream, startFakeOllamaUpstream } from "../support/fake-ollama-upstream.ts";
import { onePixelPng } from "../support/fake-openai-upstream.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";

/** Station's OpenAI API in front of Ollama's native API (NDJSON), with the official openai client. */
describe("Ollama provider", () => {
  let ollama: FakeOllamaUpstream;
  let station: TestStation;
  let client: OpenAI;
  const lastChat = () => ollama.requests.filter((request) => request.path === "/api/chat").at(-1)?.body;

  beforeAll(async () => {
    ollama = await startFakeOllamaUpstream();
    // A base URL with /api/ and a trailing slash is normalised.
    station = await startTestStation({ config: { providers: [{ id: "ollama", type: "ollama", baseUrl: `${ollama.url}/api/` }] } });
    client = new OpenAI({ baseURL: `${station.url}/v1`, apiKey: "unused", maxRetries: 0 });
  });

  afterAll(async () => {
    await station?.close();
    await ollama?.close();
  });

  it("discovers models with capabilities from /api/show, context length and loaded state from /api/ps", async () => {
    const response = await fetch(`${station.url}/api/models?provider=ollama`);
    const { models } = (await response.json()) as {
      models: { id: string; capabilities: string[]; contextLength?: number; state?: string }[];
    };
    expect(models).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: "ollama/llama3.2:3b", capabilities: ["chat", "tools"], contextLength: 131_072, state: "loaded" }),
        expect.objectContaining({ id: "ollama/llava:7b", capabilities: ["chat", "vision"], contextLength: 4096, state: "not-loaded" }),
        expect.objectContaining({ id: "ollama/nomic-embed-text:latest", capabilities: ["embeddings"] }),
      ]),
    );
    const vision = (await (await fetch(`${station.url}/api/models?capability=vision`)).json()) as { models: { id: string }[] };
    expect(vision.models.map((model) => model.id)).toEqual(["ollama/llava:7b"]);
    const facets = (await (await fetch(`${station.url}/api/models/metadata`)).json()) as {
      providers: { id: string; count: number }[];
      capabilities: { name: string; count: number }[];
      contextLength: { min: number; max: number; ranges: { label: string; count: number }[] };
    };
    expect(facets.providers).toEqual([expect.objectContaining({ id: "ollama", count: 3, status: "ok" })]);
    expect(facets.capabilities).toEqual(
      expect.arrayContaining([
        { name: "chat", count: 2 },
        { name: "vision", count: 1 },
      ]),
    );
    expect(facets.contextLength).toMatchObject({ min: 2048, max: 131_072 });
    expect(facets.contextLength.ranges.find((range) => range.label === "≥ 128K")?.count).toBe(1);
  });

  it("chats through /api/chat with num_ctx and keep_alive passed through", async () => {
    ollama.scriptToolCalls(undefined);
    const completion = await client.chat.completions.create({
      model: "ollama/llama3.2:3b",
      messages: [{ role: "user", content: "Hi" }],
      temperature: 0.3,
      max_tokens: 50,
      ...({ options: { num_ctx: 8192 }, keep_alive: "10m" } as object),
    });
    expect(completion.choices[0]?.message.content).toBe("Hello from Ollama!");
    expect(completion.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 });
    expect(lastChat()).toMatchObject({
      model: "llama3.2:3b",
      stream: false,
      keep_alive: "10m",
      options: { temperature: 0.3, num_predict: 50, num_ctx: 8192 },
    });
  });

  it("streams NDJSON as OpenAI chunks with a usage chunk", async () => {
    const stream = await client.chat.completions.create({
      model: "ollama/llama3.2:3b",
      messages: [{ role: "user", content: "Hi" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("Hello from Ollama!");
    expect(usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 5 });
  });

  it("turns Ollama tool calls into OpenAI tool calls, streamed and not", async () => {
    ollama.scriptToolCalls([{ name: "get_weather", arguments: { city: "Oslo" } }]);
    const tools = [{ type: "function" as const, function: { name: "get_weather", parameters: { type: "object" } } }];
    const messages = [{ role: "user" as const, content: "Weather in Oslo?" }];
    const whole = await client.chat.completions.create({ model: "ollama/llama3.2:3b", messages, tools });
    const call = whole.choices[0]?.message.tool_calls?.[0];
    expect(whole.choices[0]?.finish_reason).toBe("tool_calls");
    expect(call?.type === "function" ? [call.function.name, JSON.parse(call.function.arguments)] : []).toEqual([
      "get_weather",
      { city: "Oslo" },
    ]);
    expect(lastChat()?.tools).toEqual([{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }]);

    const final = await client.chat.completions.stream({ model: "ollama/llama3.2:3b", messages, tools }).finalChatCompletion();
    const streamed = final.choices[0]?.message.tool_calls?.[0];
    expect(streamed?.type === "function" ? [streamed.id, streamed.function.name, streamed.function.arguments] : []).toEqual([
      "call_0",
      "get_weather",
      '{"city":"Oslo"}',
    ]);
    ollama.scriptToolCalls(undefined);
  });

  it("sends images as bare base64 to a vision model and refuses them for a text model", async () => {
    const image = { type: "image_url" as const, image_url: { url: `data:image/png;base64,${onePixelPng}` } };
    await client.chat.completions.create({
      model: "ollama/llava:7b",
      messages: [{ role: "user", content: [{ type: "text", text: "What?" }, image] }],
    });
    const sent = (lastChat()?.messages as { images?: string[] }[] | undefined)?.[0];
    expect(sent).toEqual({ role: "user", content: "What?", images: [expect.any(String)] });
    // The image as the intake prepared it (re-encoded), in Ollama's bare base64.
    const decoded = await sharp(Buffer.from(sent?.images?.[0] ?? "", "base64")).metadata();
    expect([decoded.format, decoded.width, decoded.height]).toEqual(["png", 1, 1]);
    const refused = await client.chat.completions
      .create({ model: "ollama/llama3.2:3b", messages: [{ role: "user", content: [image] }] })
      .catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
  });

  it("embeds through /api/embed, float and base64", async () => {
    const floats = await client.embeddings.create({
      model: "ollama/nomic-embed-text:latest",
      input: ["abc", "hello"],
      encoding_format: "float",
    });
    expect(floats.data.map((item) => item.embedding)).toEqual([
      [3, 0.5, -0.25],
      [5, 0.5, -0.25],
    ]);
    const decoded = await client.embeddings.create({ model: "ollama/nomic-embed-text:latest", input: "abc" });
    expect(decoded.data[0]?.embedding).toEqual([3, 0.5, -0.25]);
  });

  it("refuses to chat with an embedding model", async () => {
    const error = await client.chat.completions
      .create({ model: "ollama/nomic-embed-text:latest", messages: [{ role: "user", content: "Hi" }] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
  });

  it("loads and unloads through /api/generate keep_alive", async () => {
    const provider = station.station.registry.provider("ollama");
    await provider?.loadModel?.("llava:7b", { keepAliveMs: 60_000 });
    await provider?.unloadModel?.("llava:7b");
    const generates = ollama.requests.filter((request) => request.path === "/api/generate").map((request) => request.body);
    expect(generates).toEqual([
      { model: "llava:7b", keep_alive: "60000ms" },
      { model: "llava:7b", keep_alive: 0 },
    ]);
  });
});
