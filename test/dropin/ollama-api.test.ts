import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Ollama } from "ollama";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { lastChatRequest } from "../support/dropin-station.ts";
import { type FakeOpenAiUpstream, onePixelPng, startFakeOpenAiUpstream } from "../support/fake-openai-upstream.ts";
import { type FileServer, startFileServer } from "../support/local-file-server.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { writeTinyGguf } from "../support/tiny-gguf.ts";

/** The official `ollama` client against Station's Ollama API, over an OpenAI-compatible upstream and a pulled tiny GGUF. */
describe("Ollama API", () => {
  const workDir = mkdtempSync(path.join(tmpdir(), "station-ollama-"));
  let upstream: FakeOpenAiUpstream;
  let files: FileServer;
  let station: TestStation;
  let ollama: Ollama;
  let ollamaPort: Ollama;

  beforeAll(async () => {
    const source = path.join(workDir, "tiny.gguf");
    await writeTinyGguf(source);
    files = await startFileServer({ "/files/tiny-pulled.gguf": readFileSync(source) });
    upstream = await startFakeOpenAiUpstream({ models: ["gpt-test", "gpt-4o-test", "text-embedding-test"] });
    const dataDir = path.join(workDir, "data");
    mkdirSync(dataDir);
    station = await startTestStation({
      dataDir,
      config: {
        server: { ollamaPort: 0 },
        security: { allowPrivateNetworks: true },
        providers: [
          { id: "fake", type: "openai", baseUrl: upstream.url, retry: { attempts: 1 } },
          { id: "local", type: "llamacpp", refreshIntervalMs: 0 },
        ],
      },
    });
    ollama = new Ollama({ host: station.url });
    ollamaPort = new Ollama({ host: station.ollamaUrl ?? "" });
  }, 60_000);

  afterAll(async () => {
    await station?.close();
    await upstream?.close();
    await files?.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  beforeEach(() => upstream.script({}));

  const lastChatBody = () => lastChatRequest(upstream)?.body;

  it("version, and GET|HEAD / on server.ollamaPort", async () => {
    const { version } = await ollama.version();
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    expect((await ollamaPort.version()).version).toBe(version);
    const root = await fetch(`${station.ollamaUrl}/`);
    expect(root.status).toBe(200);
    expect(await root.text()).toBe("Ollama is running");
    expect((await fetch(`${station.ollamaUrl}/`, { method: "HEAD" })).status).toBe(200);
  });

  it("list (tags) names Station's models as name:tag with details", async () => {
    const { models } = await ollama.list();
    const names = models.map((model) => model.name);
    expect(names).toContain("fake/gpt-test:latest");
    expect(names).toContain("fake/text-embedding-test:latest");
    const entry = models.find((model) => model.name === "fake/gpt-test:latest");
    expect(entry).toMatchObject({ model: "fake/gpt-test:latest", digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(typeof entry?.modified_at).toBe("string");
    expect(entry?.details).toHaveProperty("quantization_level");
  });

  it("show reports capabilities, model_info, parameters and a template", async () => {
    const show = await ollama.show({ model: "fake/gpt-4o-test:latest" });
    expect(show.capabilities).toEqual(expect.arrayContaining(["completion", "tools", "vision"]));
    expect(typeof show.template).toBe("string");
    expect(typeof show.parameters).toBe("string");
    expect(show.model_info).toHaveProperty("general.architecture");
    // Older clients name the model `name` instead of `model`.
    const byName = await fetch(`${station.url}/api/show`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "fake/gpt-4o-test:latest" }),
    });
    expect(((await byName.json()) as { capabilities: string[] }).capabilities).toEqual(show.capabilities);
  });

  it("chat, not streamed: a name:tag resolves, options reach the upstream, durations are in ns", async () => {
    upstream.script({ text: "Hi from chat" });
    const reply = await ollama.chat({
      model: "fake/gpt-test:latest",
      messages: [{ role: "user", content: "Hello" }],
      options: { temperature: 0.1, num_predict: 20, stop: ["END"], num_ctx: 8192 },
    });
    expect(reply.message).toMatchObject({ role: "assistant", content: "Hi from chat" });
    expect(reply.done).toBe(true);
    expect(reply.done_reason).toBe("stop");
    expect(reply.model).toBe("fake/gpt-test:latest");
    expect(reply.eval_count).toBeGreaterThan(0);
    expect(reply.total_duration).toBeGreaterThan(1000);
    const body = lastChatBody();
    expect(body).toMatchObject({ model: "gpt-test", temperature: 0.1, max_tokens: 20, stop: ["END"] });
    // num_ctx is an engine option: never sent to an OpenAI-compatible server.
    expect(body).not.toHaveProperty("options");
  });

  it("chat, streamed: NDJSON chunks then a final done chunk", async () => {
    upstream.script({ text: "streamed chat reply", chunkSize: 3 });
    const stream = await ollama.chat({ model: "fake/gpt-test", messages: [{ role: "user", content: "Hi" }], stream: true });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks.map((chunk) => chunk.message.content).join("")).toBe("streamed chat reply");
    const last = chunks.at(-1);
    expect(last).toMatchObject({ done: true, done_reason: "stop" });
    expect(last?.eval_duration).toBeGreaterThanOrEqual(0);
    expect(chunks.slice(0, -1).every((chunk) => chunk.done === false)).toBe(true);
  });

  it("streams reasoning as message.thinking", async () => {
    upstream.script({ text: "4", reasoning: "2+2" });
    const stream = await ollama.chat({ model: "fake/gpt-test", messages: [{ role: "user", content: "2+2?" }], stream: true, think: true });
    let thinking = "";
    let content = "";
    for await (const chunk of stream) {
      thinking += chunk.message.thinking ?? "";
      content += chunk.message.content;
    }
    expect(thinking).toBe("2+2");
    expect(content).toBe("4");
  });

  it("tool calls round trip, streamed: a whole tool call, then the tool's answer goes back", async () => {
    const tools = [
      {
        type: "function",
        function: {
          name: "get_time",
          description: "The time in a city",
          parameters: { type: "object", properties: { city: { type: "string" } } },
        },
      },
    ];
    upstream.script({ toolCalls: [{ id: "call_3", name: "get_time", arguments: '{"city":"Rome"}' }], chunkSize: 3 });
    const stream = await ollama.chat({
      model: "fake/gpt-test",
      messages: [{ role: "user", content: "Time in Rome?" }],
      tools,
      stream: true,
    });
    const calls = [];
    for await (const chunk of stream) calls.push(...(chunk.message.tool_calls ?? []));
    expect(calls).toEqual([
      expect.objectContaining({ function: expect.objectContaining({ name: "get_time", arguments: { city: "Rome" } }) }),
    ]);
    expect(lastChatBody()?.tools).toEqual([{ type: "function", function: tools[0]?.function }]);

    upstream.script({ text: "It is noon in Rome." });
    const answer = await ollama.chat({
      model: "fake/gpt-test",
      tools,
      messages: [
        { role: "user", content: "Time in Rome?" },
        { role: "assistant", content: "", tool_calls: [{ function: { name: "get_time", arguments: { city: "Rome" } } }] },
        { role: "tool", content: "12:00", tool_name: "get_time" },
      ],
    });
    expect(answer.message.content).toBe("It is noon in Rome.");
    const sent = lastChatBody()?.messages as Record<string, unknown>[];
    expect(sent[1]).toMatchObject({
      role: "assistant",
      tool_calls: [{ id: "call_0", function: { name: "get_time", arguments: '{"city":"Rome"}' } }],
    });
    expect(sent[2]).toMatchObject({ role: "tool", content: "12:00", tool_call_id: "call_0" });
  });

  it("chat with images (bare base64) on a vision model; format json", async () => {
    await ollama.chat({
      model: "fake/gpt-4o-test",
      format: "json",
      messages: [{ role: "user", content: "What is it?", images: [onePixelPng] }],
    });
    const body = lastChatBody() as { messages: { content: { type: string }[] }[]; response_format: unknown };
    expect(body.messages[0]?.content.map((part) => part.type)).toEqual(["text", "image_url"]);
    expect(body.response_format).toEqual({ type: "json_object" });
  });

  it("generate, streamed and not, with system and suffix (fill-in-the-middle)", async () => {
    upstream.script({ text: "generated text", chunkSize: 4 });
    const whole = await ollama.generate({ model: "fake/gpt-test", prompt: "Say something", system: "Be kind" });
    expect(whole).toMatchObject({ response: "generated text", done: true, done_reason: "stop" });
    expect(lastChatBody()?.messages).toEqual([
      { role: "system", content: "Be kind" },
      { role: "user", content: "Say something" },
    ]);
    const stream = await ollama.generate({
      model: "fake/gpt-test",
      prompt: "def add(a, b):\n    ",
      suffix: "\n    return c",
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.response;
    expect(text).toBe("generated text");
    const fim = lastChatBody()?.messages as { content: string }[];
    expect(fim.at(-1)?.content).toContain("<suffix>\n    return c</suffix>");
  });

  it("generate returns a context that continues the conversation, streamed and not; a foreign context is a 400", async () => {
    upstream.script({ text: "Paris", chunkSize: 2 });
    const first = await ollama.generate({ model: "fake/gpt-test", prompt: "Capital of France?" });
    expect(Array.isArray(first.context) && first.context.every((value) => Number.isInteger(value))).toBe(true);
    upstream.script({ text: "About 2 million", chunkSize: 4 });
    const stream = await ollama.generate({ model: "fake/gpt-test", prompt: "Its population?", context: first.context, stream: true });
    let last: { context?: number[]; done: boolean } | undefined;
    for await (const chunk of stream) last = chunk;
    expect(lastChatBody()?.messages).toEqual([
      { role: "user", content: "Capital of France?" },
      { role: "assistant", content: "Paris" },
      { role: "user", content: "Its population?" },
    ]);
    expect(last?.done).toBe(true);
    await ollama.generate({ model: "fake/gpt-test", prompt: "And Germany?", context: last?.context ?? [] });
    expect(((lastChatBody()?.messages ?? []) as { content: string }[]).map((message) => message.content)).toEqual([
      "Capital of France?",
      "Paris",
      "Its population?",
      "About 2 million",
      "And Germany?",
    ]);
    const before = upstream.requests.length;
    const foreign = await ollama
      .generate({ model: "fake/gpt-test", prompt: "Hi", context: [128006, 882, 128007] })
      .catch((error: unknown) => error);
    expect(foreign).toMatchObject({ name: "ResponseError", status_code: 400 });
    expect(upstream.requests.length).toBe(before);
  });

  it("embed and the legacy embeddings", async () => {
    const embed = await ollama.embed({ model: "fake/text-embedding-test", input: ["one", "two"] });
    expect(embed.embeddings).toHaveLength(2);
    expect(embed.embeddings[0]).toHaveLength(8);
    const legacy = await ollama.embeddings({ model: "fake/text-embedding-test", prompt: "one" });
    expect(legacy.embedding).toEqual(embed.embeddings[0]);
  });

  it("pull streams progress ending in success, the model is listed, copy aliases it, delete removes both", async () => {
    const uri = `${files.url}/files/tiny-pulled.gguf`;
    const progress = await ollama.pull({ model: uri, stream: true });
    const statuses: string[] = [];
    let completed = 0;
    for await (const line of progress) {
      statuses.push(line.status);
      completed = Math.max(completed, line.completed ?? 0);
    }
    expect(statuses[0]).toBe("pulling manifest");
    expect(statuses.at(-1)).toBe("success");
    expect(completed).toBeGreaterThan(0);
    const names = (await ollama.list()).models.map((model) => model.name);
    expect(names).toContain("local/tiny-pulled:latest");

    await ollama.copy({ source: "local/tiny-pulled", destination: "tiny:7b" });
    expect((await ollama.list()).models.map((model) => model.name)).toContain("tiny:7b");
    expect((await ollama.show({ model: "tiny:7b" })).capabilities).toContain("completion");
    await ollama.delete({ model: "tiny:7b" });
    await ollama.delete({ model: "local/tiny-pulled:latest" });
    const after = (await ollama.list()).models.map((model) => model.name);
    expect(after).not.toContain("local/tiny-pulled:latest");
    expect(after).not.toContain("tiny:7b");
  });

  it("copy aliases are stored: they survive a restart on the same data directory", async () => {
    const dataDir = path.join(workDir, "aliases");
    mkdirSync(dataDir);
    const config = { providers: [{ id: "fake", type: "openai", baseUrl: upstream.url, retry: { attempts: 1 } }] };
    const first = await startTestStation({ dataDir, config });
    await new Ollama({ host: first.url }).copy({ source: "fake/gpt-test", destination: "assistant:latest" });
    await first.close();
    const second = await startTestStation({ dataDir, config });
    try {
      const client = new Ollama({ host: second.url });
      expect((await client.list()).models.map((model) => model.name)).toContain("assistant:latest");
      upstream.script({ text: "still here" });
      const reply = await client.chat({ model: "assistant", messages: [{ role: "user", content: "Hi" }] });
      expect(reply.message.content).toBe("still here");
      expect(lastChatBody()?.model).toBe("gpt-test");
      await client.delete({ model: "assistant:latest" });
      expect((await client.list()).models.map((model) => model.name)).not.toContain("assistant:latest");
    } finally {
      await second.close();
    }
  });

  it("accepts Ollama's default browser origins (CORS) and refuses others", async () => {
    const allowed = await fetch(`${station.url}/api/tags`, { headers: { origin: "vscode-webview://abc123" } });
    expect(allowed.status).toBe(200);
    expect(allowed.headers.get("access-control-allow-origin")).toBe("vscode-webview://abc123");
    const preflight = await fetch(`${station.url}/api/chat`, {
      method: "OPTIONS",
      headers: { origin: "app://obsidian.md", "access-control-request-method": "POST", "access-control-request-headers": "content-type" },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-origin")).toBe("app://obsidian.md");
    const refused = await fetch(`${station.url}/api/tags`, { headers: { origin: "https://evil.example" } });
    expect(refused.status).toBe(403);
    // Station's own routes do not take Ollama's origins.
    const own = await fetch(`${station.url}/api/models`, { headers: { origin: "vscode-webview://abc123" } });
    expect(own.status).toBe(403);
  });

  it("ps lists loaded models (none yet)", async () => {
    const { models } = await ollama.ps();
    expect(Array.isArray(models)).toBe(true);
  });

  it("errors are {error} with the client's ResponseError, for bad input and unknown models", async () => {
    const unknown = await ollama
      .chat({ model: "nope:latest", messages: [{ role: "user", content: "Hi" }] })
      .catch((caught: unknown) => caught);
    expect(unknown).toMatchObject({ name: "ResponseError", status_code: 404 });
    expect((unknown as Error).message).toMatch(/nope/);
    const badPull = await ollama.pull({ model: "llama3.2" }).catch((caught: unknown) => caught);
    expect(badPull).toMatchObject({ name: "ResponseError", status_code: 400 });
    const raw = await fetch(`${station.url}/api/chat`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"model": 3}',
    });
    expect(raw.status).toBe(400);
    const body = (await raw.json()) as { error: unknown };
    expect(Object.keys(body)).toEqual(["error"]);
    expect(typeof body.error).toBe("string");
    // Station's own /api routes keep Station's error shape.
    const own = (await (await fetch(`${station.url}/api/chat/session/none`)).json()) as { error: unknown };
    expect(typeof own.error).toBe("object");
  });

  it("aborts the upstream call when the client aborts a stream", async () => {
    upstream.script({ text: "x".repeat(400), chunkSize: 1, chunkDelayMs: 5 });
    const before = upstream.aborted;
    const stream = await ollama.chat({ model: "fake/gpt-test", messages: [{ role: "user", content: "Hi" }], stream: true });
    const ended = (async () => {
      for await (const _chunk of stream) stream.abort();
    })().catch((caught: unknown) => caught);
    await ended;
    await upstream.waitForAborts(before + 1);
    expect(upstream.aborted).toBe(before + 1);
  });

  it("a stream that dies midway ends with an {error} line the client throws", async () => {
    upstream.script({ text: "this reply is going to be cut off", chunkSize: 2 });
    upstream.fail({ kind: "die-midway", afterChunks: 4 });
    const stream = await ollama.chat({ model: "fake/gpt-test", messages: [{ role: "user", content: "Hi" }], stream: true });
    let text = "";
    const error = await (async () => {
      for await (const chunk of stream) text += chunk.message.content;
    })().catch((caught: unknown) => caught);
    expect(text.length).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(Error);
  });
});
