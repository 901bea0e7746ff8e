import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { writeCorruptGguf, writeHeaderIncompleteGguf, writeTinyGguf, writeTruncatedGguf } from "../support/tiny-gguf.ts";

const dataDir = mkdtempSync(path.join(tmpdir(), "station-local-"));
const modelsDir = path.join(dataDir, "models");
let station: TestStation;
let openai: OpenAI;

beforeAll(async () => {
  mkdirSync(modelsDir);
  await writeTinyGguf(path.join(modelsDir, "tiny.gguf"));
  await writeHeaderIncompleteGguf(path.join(modelsDir, "no-head-count.gguf"));
  await writeTruncatedGguf(path.join(modelsDir, "truncated.gguf"));
  writeCorruptGguf(path.join(modelsDir, "corrupt.gguf"));
  station = await startTestStation({
    dataDir,
    config: {
      providers: [
        {
          id: "local",
          type: "llamacpp",
          contextSize: 2048,
          parallelSequences: 2,
          maxQueue: 1,
          retry: { attempts: 1 },
          cooldown: { minimumCalls: 1000 },
        },
        { id: "ocr", type: "ocr" },
      ],
    },
  });
  openai = new OpenAI({ baseURL: `${station.url}/v1`, apiKey: "unused", maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await station?.close({ keepDataDir: true });
});

const ask = (content: string) => [{ role: "user" as const, content }];

async function json(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>;
}

async function post(pathName: string, body: unknown): Promise<Response> {
  return fetch(`${station.url}${pathName}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
}

async function running(): Promise<
  { id: string; sequences: { busy: number; waiting: number }; expiresAt: string | null; keepAliveMs: number }[]
> {
  const body = (await (await fetch(`${station.url}/v1/system/ps`)).json()) as { models: never[] };
  return body.models;
}

/** Polls an event-driven condition (no fixed sleeps): model unloads and queue states settle asynchronously. */
async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for: ${what}`);
}

describe("local GGUF engine through the OpenAI API", () => {
  it("lists the GGUF files and the OCR model; broken files carry their error and no capability", async () => {
    const ids = (await openai.models.list()).data.map((model) => model.id);
    expect(ids).toContain("local/tiny");
    expect(ids).toContain("ocr/ppocr-v4");
    const broken = station.station.registry.get("local/truncated");
    expect(broken?.capabilities).toEqual([]);
    expect(String(broken?.metadata?.error)).toMatch(/truncated/);
    expect(station.station.registry.get("local/tiny")?.capabilities).toContain("chat");
  });

  it("chats (non-stream) and streams the same tokens", async () => {
    const completion = await openai.chat.completions.create({ model: "local/tiny", messages: ask("hello"), max_tokens: 8, temperature: 0 });
    const text = completion.choices[0]?.message.content ?? "";
    expect(text.length).toBeGreaterThan(0);
    expect(completion.choices[0]?.finish_reason).toBe("length");
    expect(completion.usage?.completion_tokens).toBe(8);

    const stream = await openai.chat.completions.create({
      model: "local/tiny",
      messages: ask("hello"),
      max_tokens: 8,
      temperature: 0,
      stream: true,
      stream_options: { include_usage: true },
    });
    let streamed = "";
    let chunks = 0;
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      streamed += chunk.choices[0]?.delta.content ?? "";
      if (chunk.choices[0]?.delta.content) chunks++;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(streamed).toBe(text);
    expect(chunks).toBeGreaterThan(1);
    expect(usage?.completion_tokens).toBe(8);
  });

  it("returns a tool call when tool_choice forces one (grammar-constrained)", async () => {
    const completion = await openai.chat.completions.create({
      model: "local/tiny",
      messages: ask("What is the weather in Oslo?"),
      temperature: 0,
      max_tokens: 64,
      tools: [
        {
          type: "function",
          function: {
            name: "get_weather",
            description: "Current weather",
            parameters: { type: "object", properties: { city: { enum: ["Oslo", "Paris"] } }, required: ["city"] },
          },
        },
      ],
      tool_choice: "required",
    });
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type).toBe("function");
    if (call?.type !== "function") return;
    expect(call.function.name).toBe("get_weather");
    expect(["Oslo", "Paris"]).toContain((JSON.parse(call.function.arguments) as { city: string }).city);
  });

  it("answers response_format json_schema with valid JSON matching the schema", async () => {
    const completion = await openai.chat.completions.create({
      model: "local/tiny",
      messages: ask("Give me a verdict"),
      temperature: 0,
      max_tokens: 64,
      response_format: {
        type: "json_schema",
        json_schema: {
          name: "verdict",
          schema: {
            type: "object",
            properties: { verdict: { enum: ["yes", "no"] }, sure: { type: "boolean" } },
            required: ["verdict", "sure"],
          },
        },
      },
    });
    const parsed = JSON.parse(completion.choices[0]?.message.content ?? "") as { verdict: string; sure: boolean };
    expect(["yes", "no"]).toContain(parsed.verdict);
    expect(typeof parsed.sure).toBe("boolean");
  });

  it("makes embeddings", async () => {
    const result = await openai.embeddings.create({ model: "local/tiny", input: ["alpha", "beta"] });
    expect(result.data).toHaveLength(2);
    expect(result.data[0]?.embedding).toHaveLength(64);
    expect(result.data[0]?.embedding).not.toEqual(result.data[1]?.embedding);
  });

  it("runs two streams on one model at once, each with the right tokens", async () => {
    const solo = await openai.chat.completions.create({ model: "local/tiny", messages: ask("parallel"), max_tokens: 24, temperature: 0 });
    const streamText = async () => {
      const stream = await openai.chat.completions.create({
        model: "local/tiny",
        messages: ask("parallel"),
        max_tokens: 24,
        temperature: 0,
        stream: true,
      });
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      return text;
    };
    const [first, second] = await Promise.all([streamText(), streamText()]);
    expect(first).toBe(solo.choices[0]?.message.content);
    expect(second).toBe(solo.choices[0]?.message.content);
  });

  it("queues beyond the parallel sequences, answers 503 with Retry-After when the queue is full, and aborts on disconnect", async () => {
    const controllers = [new AbortController(), new AbortController(), new AbortController()];
    const endless = (controller: AbortController) =>
      fetch(`${station.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "local/tiny", messages: ask("go on forever"), max_tokens: 1_000_000, stream: true }),
        signal: controller.signal,
      }).catch(() => undefined);
    const first = await endless(controllers[0] as AbortController);
    const second = await endless(controllers[1] as AbortController);
    expect(first?.status).toBe(200);
    expect(second?.status).toBe(200);
    const third = endless(controllers[2] as AbortController); // waits for a sequence
    await until(async () => (await running()).find((model) => model.id === "local/tiny")?.sequences.waiting === 1, "one request queued");

    const rejected = await post("/v1/chat/completions", { model: "local/tiny", messages: ask("one more"), max_tokens: 4 });
    expect(rejected.status).toBe(503);
    expect(rejected.headers.get("retry-after")).toBe("1");
    expect(((await json(rejected)).error as { code: string }).code).toBe("busy");

    for (const controller of controllers) controller.abort();
    await third;
    await until(async () => {
      const model = (await running()).find((entry) => entry.id === "local/tiny");
      return model?.sequences.busy === 0 && model.sequences.waiting === 0;
    }, "aborted generations release their sequences");
    const after = await openai.chat.completions.create({ model: "local/tiny", messages: ask("hello"), max_tokens: 8, temperature: 0 });
    expect(after.choices[0]?.message.content?.length).toBeGreaterThan(0);
  });
});

describe("broken GGUF files", () => {
  it.each([
    ["local/no-head-count", /required metadata is missing: llama\.attention\.head_count/],
    ["local/truncated", /truncated/],
    ["local/corrupt", /header is corrupt/],
  ])("%s gives a clear 422 and the server keeps serving", async (model, reason) => {
    const response = await post("/v1/chat/completions", { model, messages: ask("hi"), max_tokens: 2 });
    expect(response.status).toBe(422);
    const error = (await json(response)).error as { code: string; message: string; type: string };
    expect(error.code).toBe("model_invalid");
    expect(error.message).toMatch(reason);
    const load = await post("/v1/system/models/load", { model });
    expect(load.status).toBe(422);
    expect((await fetch(`${station.url}/health`)).status).toBe(200);
    const ok = await openai.chat.completions.create({ model: "local/tiny", messages: ask("hello"), max_tokens: 8, temperature: 0 });
    expect(ok.choices[0]?.message.content?.length).toBeGreaterThan(0);
  });

  it("the header-incomplete file really would abort a process that loads it without Station's check", () => {
    const library = pathToFileURL(path.join(process.cwd(), "node_modules/node-llama-cpp/dist/index.js")).href;
    const script = path.join(dataDir, "load-unchecked.mjs");
    writeFileSync(
      script,
      `import { getLlama } from ${JSON.stringify(library)};
      const llama = await getLlama({ build: "never", gpu: false, logLevel: "error" });
      try { await llama.loadModel({ modelPath: process.argv[2] }); console.log("loaded"); } catch { console.log("threw"); }`,
    );
    const child = spawnSync(process.execPath, [script, path.join(modelsDir, "no-head-count.gguf")], { encoding: "utf8", timeout: 60_000 });
    expect(child.stdout).not.toContain("loaded");
    expect(child.stdout).not.toContain("threw");
    expect(child.signal === "SIGABRT" || child.status === 134).toBe(true);
  });
});

describe("model residency endpoints", () => {
  it("loads with a keep-alive, reports it in ps, and unloads", async () => {
    await post("/v1/system/models/unload", { model: "local/tiny" });
    const before = Date.now();
    const load = await post("/v1/system/models/load", { model: "local/tiny", keep_alive: "10m" });
    expect(load.status).toBe(200);
    expect(await json(load)).toMatchObject({ model: "local/tiny", status: "loaded" });
    const entry = (await running()).find((model) => model.id === "local/tiny");
    expect(entry?.keepAliveMs).toBe(600_000);
    const expires = Date.parse(entry?.expiresAt ?? "");
    expect(expires).toBeGreaterThanOrEqual(before + 600_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 600_000);
    const health = (await json(await fetch(`${station.url}/health`))) as { activeModels: string[] };
    expect(health.activeModels).toContain("local/tiny");

    const unload = await post("/v1/system/models/unload", { model: "local/tiny" });
    expect(await json(unload)).toEqual({ model: "local/tiny", status: "unloaded" });
    expect(await running()).toEqual([]);
  });

  it("keep_alive 0 in a chat request unloads the model right after it", async () => {
    await openai.chat.completions.create({ model: "local/tiny", messages: ask("x"), max_tokens: 1, keep_alive: 0 } as never);
    await until(async () => (await running()).length === 0, "model unloaded after keep_alive 0");
  });

  it("rejects bad input with clear 4xx and changes nothing", async () => {
    const badKeepAlive = await post("/v1/system/models/load", { model: "local/tiny", keep_alive: "soon" });
    expect(badKeepAlive.status).toBe(400);
    expect(((await json(badKeepAlive)).error as { param: string }).param).toBe("keep_alive");
    const unknown = await post("/v1/system/models/load", { model: "local/nope" });
    expect(unknown.status).toBe(404);
    const notManaged = await post("/v1/system/models/load", { model: "ocr/ppocr-v4" });
    expect(notManaged.status).toBe(400);
    const missingModel = await post("/v1/system/models/unload", {});
    expect(missingModel.status).toBe(400);
    expect(await running()).toEqual([]);
  });
});

describe("embedded default", () => {
  it("with no chat model, /health says exactly how to get one", async () => {
    const empty = await startTestStation({ config: { providers: undefined } });
    try {
      const health = (await json(await fetch(`${empty.url}/health`))) as { hint?: string };
      expect(health.hint).toMatch(/bin\/station pull hf:[\w.-]+\/[\w.-]+\/[\w.-]+\.gguf/);
      const models = (await json(await fetch(`${empty.url}/v1/models`))) as { data: { id: string }[] };
      expect(models.data.map((model) => model.id)).toEqual(["ocr/ppocr-v4"]);
      expect(empty.station.config.providers?.map((provider) => provider.type)).toEqual(["llamacpp", "ocr", "local-vision", "local-speech"]);
    } finally {
      await empty.close();
    }
    const health = (await json(await fetch(`${station.url}/health`))) as { hint?: string };
    expect(health.hint).toBeUndefined();
  });
});
