import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectRealtime } from "./realtime/realtime-client.ts";
import { createScriptedChatProvider } from "./support/chat-scripted-provider.ts";
import { type FakeOpenAiUpstream, startFakeOpenAiUpstream } from "./support/fake-openai-upstream.ts";
import { startTestStation, type TestStation } from "./support/start-test-station.ts";

/** `[[[…]]]`, `depth` levels: at 4,100 levels about 8 KB, well inside any body limit. */
const nested = (depth: number): string => `${"[".repeat(depth)}${"]".repeat(depth)}`;

/** JSON nested thousands of levels deep is refused at parse time, on every surface, in its own error shape. */
describe("deeply nested JSON", () => {
  let upstream: FakeOpenAiUpstream;
  let station: TestStation;
  const chat = createScriptedChatProvider("scripted", () => ({ text: "ok" }));

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ models: ["gpt-test"] });
    station = await startTestStation({
      providers: [chat],
      config: { providers: [{ id: "fake", type: "openai", baseUrl: upstream.url }], defaults: { chatModel: "scripted/scripted" } },
    });
  });
  afterAll(async () => {
    await station?.close();
    await upstream?.close();
  });

  const post = async (path: string, body: string) => {
    const response = await fetch(`${station.url}${path}`, { method: "POST", headers: { "content-type": "application/json" }, body });
    return { status: response.status, body: (await response.json()) as { error: Record<string, unknown> } };
  };
  const chatBody = (extra: string) => `{"model":"fake/gpt-test","messages":[{"role":"user","content":"Hi"}],${extra}}`;

  it("/v1/chat/completions: a pass-through field 4,100 levels deep is a 400 in OpenAI's shape and reaches no upstream", async () => {
    const before = upstream.requests.length;
    const body = chatBody(`"vendor_options":${nested(4100)}`);
    expect(body.length).toBeLessThan(9000);
    const reply = await post("/v1/chat/completions", body);
    expect(reply).toEqual({
      status: 400,
      body: {
        error: {
          message: expect.stringContaining("deeper than 128 levels"),
          type: "invalid_request_error",
          code: "json_too_deep",
          param: null,
        },
      },
    });
    expect(upstream.requests.length).toBe(before);
  });

  it("/v1/chat/completions: nesting within the bound still relays, brackets inside strings do not count", async () => {
    const reply = await fetch(`${station.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: chatBody(`"vendor_options":${nested(100)},"user":"${"[".repeat(5000)}"`),
    });
    expect(reply.status).toBe(200);
    expect(upstream.requests.at(-1)?.body?.vendor_options).toBeDefined();
  });

  it("/api/chat/stream and /caption/generate: a 400 in Station's shape", async () => {
    for (const [path, body] of [
      ["/api/chat/stream", `{"client_id":"deep","message":"Hi","extra":${nested(4100)}}`],
      ["/caption/generate", `{"image_data":${nested(4100)}}`],
    ] as const) {
      const reply = await post(path, body);
      expect(reply.status).toBe(400);
      expect(reply.body.error).toMatchObject({ code: "json_too_deep", message: expect.stringContaining("128 levels") });
    }
  });

  it("/v1/realtime: an error event, and the connection lives on", async () => {
    const client = await connectRealtime(station.url);
    try {
      client.sendRaw(`{"type":"text","text":"Hi","extra":${nested(4100)}}`);
      expect(await client.next("error")).toMatchObject({ code: "json_too_deep" });
      client.send({ type: "text", text: "Hi" });
      expect(await client.next("response.done")).toMatchObject({ status: "completed", text: "ok" });
    } finally {
      await client.close();
    }
  });

  it("the server is still alive", async () => {
    expect((await fetch(`${station.url}/health`)).status).toBe(200);
  });
});
