import { Writable } from "node:stream";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { postChatStream } from "../support/chat-sse-client.ts";
import { type FakeMoondreamUpstream, startFakeMoondreamUpstream } from "../support/fake-moondream-upstream.ts";
import { type FakeOpenAiUpstream, startFakeOpenAiUpstream } from "../support/fake-openai-upstream.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { solidPng, toDataUrl } from "../support/vision-images.ts";

interface LogLine {
  level: number;
  msg: string;
}

/** Polls until `read` gives a value (no fixed sleeps: the cancel is recorded when the abort lands). */
async function eventually<T>(read: () => Promise<T | undefined>): Promise<T> {
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * A client that hangs up is not the provider's failure: the call is counted with
 * outcome="cancelled" (not in station_provider_errors_total) and logged at info, never at error.
 */
describe("a client hanging up is a cancel, not a provider error", () => {
  let openai: FakeOpenAiUpstream;
  let moondream: FakeMoondreamUpstream;
  let station: TestStation;
  let client: OpenAI;
  const logs: LogLine[] = [];

  beforeAll(async () => {
    openai = await startFakeOpenAiUpstream({ models: ["gpt-test"] });
    moondream = await startFakeMoondreamUpstream();
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString("utf8").split("\n")) if (line.length > 0) logs.push(JSON.parse(line) as LogLine);
        done();
      },
    });
    station = await startTestStation({
      config: {
        providers: [
          { id: "relay", type: "openai", baseUrl: openai.url },
          { id: "whole", type: "openai", baseUrl: openai.url },
          { id: "chat", type: "openai", baseUrl: openai.url },
          { id: "md", type: "moondream", baseUrl: moondream.url },
        ],
      },
      log: { level: "debug", destination },
    });
    client = new OpenAI({ baseURL: `${station.url}/v1`, apiKey: "unused", maxRetries: 0 });
  });
  afterAll(async () => {
    await station?.close();
    await openai?.close();
    await moondream?.close();
  });

  const metricsOf = async (provider: string): Promise<{ cancelled: number; errors: string[] }> => {
    const text = await (await fetch(`${station.url}/metrics`)).text();
    const cancelled = new RegExp(
      `station_provider_requests_total\\{provider="${provider}",operation="[^"]+",outcome="cancelled"\\} (\\d+)`,
    ).exec(text);
    const errors = text.split("\n").filter((line) => line.startsWith(`station_provider_errors_total{provider="${provider}"`));
    return { cancelled: Number(cancelled?.[1] ?? 0), errors };
  };
  const cancelledOnce = (provider: string) =>
    eventually(async () => {
      const metrics = await metricsOf(provider);
      return metrics.cancelled > 0 ? metrics : undefined;
    });

  it("a streamed completion relayed from an OpenAI-compatible upstream", async () => {
    openai.script({ text: "A long reply that streams slowly, chunk after chunk, for a while.", chunkDelayMs: 30 });
    const abortsBefore = openai.aborted;
    const controller = new AbortController();
    const stream = await client.chat.completions.create(
      { model: "relay/gpt-test", messages: [{ role: "user", content: "Hi" }], stream: true },
      { signal: controller.signal },
    );
    // The official client ends the iteration (or throws) once its own signal aborts.
    let text = "";
    try {
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? "";
        if (text.length > 0) controller.abort();
      }
    } catch {}
    expect(text.length).toBeGreaterThan(0);
    await openai.waitForAborts(abortsBefore + 1);
    expect(await cancelledOnce("relay")).toEqual({ cancelled: 1, errors: [] });
  });

  it("a whole (non-streamed) completion the client stops waiting for", async () => {
    openai.fail({ kind: "slow", delayMs: 20_000 });
    const requestsBefore = openai.requests.length;
    const controller = new AbortController();
    const pending = client.chat.completions
      .create({ model: "whole/gpt-test", messages: [{ role: "user", content: "Hi" }] }, { signal: controller.signal })
      .catch((caught: unknown) => caught);
    await eventually(async () => (openai.requests.length > requestsBefore ? true : undefined));
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    expect(await cancelledOnce("whole")).toEqual({ cancelled: 1, errors: [] });
  });

  it("a chat turn (/api/chat/stream) whose client hangs up mid-answer", async () => {
    openai.script({ text: "Another slow reply, long enough to hang up in the middle of it.", chunkDelayMs: 30 });
    await postChatStream(
      station.url,
      { client_id: "quitter", message: "Talk to me", model: "chat/gpt-test" },
      { onEvent: (event) => event.event === "message.delta" },
    );
    expect(await cancelledOnce("chat")).toEqual({ cancelled: 1, errors: [] });
  });

  it("a Moondream caption stream whose client hangs up midway", async () => {
    moondream.chunkDelayMs = 40;
    const controller = new AbortController();
    const response = await fetch(`${station.url}/v1/caption`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ image_url: toDataUrl(await solidPng(64, 48)), stream: true, length: "long", model: "md/moondream" }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await reader.read().catch(() => undefined);
    expect(await cancelledOnce("md")).toEqual({ cancelled: 1, errors: [] });
    moondream.chunkDelayMs = 0;
    // Logged as what it is, at info.
    await eventually(async () => (logs.some((line) => /client closed the vision stream/.test(line.msg)) ? true : undefined));
  });

  it("logged none of it at error level", () => {
    expect(logs.filter((line) => line.level >= 50)).toEqual([]);
  });
});
