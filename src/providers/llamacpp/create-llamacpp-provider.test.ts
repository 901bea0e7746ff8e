import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createManualScheduler } from "../../../test/support/local-manual-scheduler.ts";
import { writeTinyGguf } from "../../../test/support/tiny-gguf.ts";
import { parseConfig } from "../../config/load-config.ts";
import { createLogger } from "../../logging/create-logger.ts";
import type { StreamPart } from "../spec/index.ts";
import { createLlamaCppProvider, type LlamaCppProvider, type LlamaCppProviderConfig } from "./create-llamacpp-provider.ts";

const dataDir = mkdtempSync(path.join(tmpdir(), "station-llamacpp-"));
const scheduler = createManualScheduler();
let provider: LlamaCppProvider;

beforeAll(async () => {
  mkdirSync(path.join(dataDir, "models"));
  await writeTinyGguf(path.join(dataDir, "models", "tiny.gguf"));
  const config = parseConfig({ dataDir, providers: [{ id: "local", type: "llamacpp", keepAliveMs: 60_000, contextSize: 2048 }] });
  provider = createLlamaCppProvider(config.providers?.[0] as LlamaCppProviderConfig, { config, logger: createLogger("silent"), scheduler });
}, 60_000);

afterAll(async () => {
  await provider.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const user = (text: string) => [{ role: "user" as const, content: text }];

describe("llamacpp provider on a generated tiny GGUF", () => {
  it("discovers the file with metadata from its header, without loading it", async () => {
    const models = await provider.listModels();
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({ id: "local/tiny", name: "tiny", state: "not-loaded", contextLength: 2048 });
    expect(models[0]?.capabilities).toContain("chat");
    expect(models[0]?.metadata).toMatchObject({ architecture: "llama", hasChatTemplate: true });
    expect(provider.runningModels()).toEqual([]);
  });

  it("loads lazily and generates tokens, deterministically at temperature 0", async () => {
    const model = provider.chatModel("tiny");
    const first = await model.generate({ model: "tiny", messages: user("hello"), maxTokens: 12, temperature: 0 });
    expect(first.finishReason).toBe("length");
    expect(first.usage?.completionTokens).toBe(12);
    expect(first.usage?.promptTokens).toBeGreaterThan(3);
    expect(first.text.length).toBeGreaterThan(0);
    const second = await model.generate({ model: "tiny", messages: user("hello"), maxTokens: 12, temperature: 0 });
    expect(second.text).toBe(first.text);
    expect(provider.runningModels().map((running) => running.id)).toEqual(["local/tiny"]);
  });

  it("streams text deltas that add up to the non-streamed reply, then one finish", async () => {
    const model = provider.chatModel("tiny");
    const whole = await model.generate({ model: "tiny", messages: user("stream me"), maxTokens: 10, temperature: 0 });
    const parts: StreamPart[] = [];
    for await (const part of model.stream({ model: "tiny", messages: user("stream me"), maxTokens: 10, temperature: 0 })) parts.push(part);
    const text = parts.flatMap((part) => (part.type === "text-delta" ? [part.text] : [])).join("");
    expect(text).toBe(whole.text);
    expect(parts.filter((part) => part.type === "finish")).toHaveLength(1);
    expect(parts.at(-1)).toMatchObject({ type: "finish", finishReason: "length" });
  });

  it("constrains output to a JSON schema", async () => {
    const schema = {
      type: "object",
      properties: { unit: { enum: ["celsius", "fahrenheit"] }, ok: { type: "boolean" } },
      required: ["unit", "ok"],
    };
    const result = await provider.chatModel("tiny").generate({
      model: "tiny",
      messages: user("json please"),
      maxTokens: 60,
      temperature: 0,
      responseFormat: { type: "json_schema", schema },
    });
    const parsed = JSON.parse(result.text) as { unit: string; ok: boolean };
    expect(["celsius", "fahrenheit"]).toContain(parsed.unit);
    expect(typeof parsed.ok).toBe("boolean");
  });

  it("forces a tool call with tool_choice required and maps it to a ToolCall", async () => {
    const tools = [
      {
        name: "get_weather",
        description: "Weather for a city",
        parameters: { type: "object", properties: { city: { enum: ["Paris", "Oslo"] } }, required: ["city"] },
      },
    ];
    const result = await provider
      .chatModel("tiny")
      .generate({ model: "tiny", messages: user("weather?"), tools, toolChoice: "required", maxTokens: 60, temperature: 0 });
    expect(result.finishReason).toBe("tool_calls");
    expect(result.toolCalls).toHaveLength(1);
    expect(result.toolCalls[0]?.name).toBe("get_weather");
    expect(result.toolCalls[0]?.id).toMatch(/^call_/);
    expect(["Paris", "Oslo"]).toContain((JSON.parse(result.toolCalls[0]?.arguments ?? "") as { city: string }).city);
  });

  it("accepts a conversation with an answered tool call", async () => {
    const result = await provider.chatModel("tiny").generate({
      model: "tiny",
      maxTokens: 5,
      temperature: 0,
      messages: [
        { role: "user", content: "weather?" },
        { role: "assistant", content: "", toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' }] },
        { role: "tool", toolCallId: "call_1", content: '{"temperature":21}' },
      ],
      tools: [{ name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }],
    });
    expect(result.usage?.completionTokens).toBeGreaterThan(0);
  });

  it("stops at a stop sequence", async () => {
    const model = provider.chatModel("tiny");
    const free = await model.generate({ model: "tiny", messages: user("stop test"), maxTokens: 20, temperature: 0 });
    const stopAt = free.text.slice(3, 5);
    const stopped = await model.generate({ model: "tiny", messages: user("stop test"), maxTokens: 20, temperature: 0, stop: [stopAt] });
    expect(stopped.finishReason).toBe("stop");
    expect(stopped.text).toBe(free.text.slice(0, free.text.indexOf(stopAt)));
  });

  it("makes embeddings of the model's width, equal for equal inputs", async () => {
    const result = await provider.embeddingModel("tiny").embed({ model: "tiny", input: ["hello world", "hello world", "other"] });
    expect(result.embeddings).toHaveLength(3);
    expect(result.embeddings[0]).toHaveLength(64);
    expect(result.embeddings[0]).toEqual(result.embeddings[1]);
    expect(result.embeddings[0]).not.toEqual(result.embeddings[2]);
  });

  it("unloads when the keep-alive expires, and per-request keep_alive overrides it", async () => {
    const model = provider.chatModel("tiny");
    await model.generate({ model: "tiny", messages: user("a"), maxTokens: 1, temperature: 0, providerOptions: { keep_alive: "10m" } });
    const running = provider.runningModels()[0];
    expect(running?.keepAliveMs).toBe(600_000);
    expect(Date.parse(running?.expiresAt ?? "")).toBe(scheduler.now() + 600_000);
    scheduler.advance(599_999);
    expect(provider.runningModels()).toHaveLength(1);
    scheduler.advance(1);
    await vitestTick();
    expect(provider.runningModels()).toEqual([]);
  });

  it("keep_alive 0 unloads right after the request; -1 keeps it forever", async () => {
    const model = provider.chatModel("tiny");
    await model.generate({ model: "tiny", messages: user("a"), maxTokens: 1, temperature: 0, providerOptions: { keep_alive: -1 } });
    expect(provider.runningModels()[0]?.expiresAt).toBeNull();
    scheduler.advance(365 * 24 * 3600 * 1000);
    expect(provider.runningModels()).toHaveLength(1);
    await model.generate({ model: "tiny", messages: user("a"), maxTokens: 1, temperature: 0, providerOptions: { keep_alive: 0 } });
    await vitestTick();
    expect(provider.runningModels()).toEqual([]);
  });

  it("rejects a malformed keep_alive before loading anything", async () => {
    await expect(
      provider.chatModel("tiny").generate({ model: "tiny", messages: user("a"), maxTokens: 1, providerOptions: { keep_alive: "soon" } }),
    ).rejects.toMatchObject({ code: "invalid_request", status: 400 });
    expect(provider.runningModels()).toEqual([]);
  });

  it("loads and unloads explicitly", async () => {
    await provider.loadModel("tiny", { keepAliveMs: 1000 });
    expect(provider.runningModels()[0]).toMatchObject({
      id: "local/tiny",
      keepAliveMs: 1000,
      sequences: { total: 2, busy: 0, waiting: 0 },
    });
    await provider.unloadModel("tiny");
    expect(provider.runningModels()).toEqual([]);
    await expect(provider.loadModel("missing")).rejects.toMatchObject({ code: "model_not_found" });
  });
});

/** Lets the dispose started by a timer callback settle. */
async function vitestTick(): Promise<void> {
  for (let index = 0; index < 5; index++) await new Promise((resolve) => setImmediate(resolve));
}
