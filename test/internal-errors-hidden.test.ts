import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UpstreamError } from "../src/errors/upstream-error.ts";
import { connectRealtime, ofType } from "./realtime/realtime-client.ts";
import { createScriptedChatProvider, lastMessage, textOf } from "./support/chat-scripted-provider.ts";
import { postChatStream } from "./support/chat-sse-client.ts";
import { startTestStation, type TestStation } from "./support/start-test-station.ts";

/** What a bug or an engine's internals might say: it must reach the log, never a client. */
const internalDetail = "ENOENT: /srv/station/secret-token-123/engine.bin";

/**
 * A model that fails mid-stream: with a plain Error (unexpected, hidden like the HTTP handler
 * hides it) or with a StationError (meant for the client, kept).
 */
const provider = createScriptedChatProvider("fake", (request) => {
  const text = textOf(lastMessage(request));
  if (text === "crash") return { text: "Partial", error: new Error(internalDetail) };
  if (text === "upstream") {
    return {
      error: new UpstreamError({ message: "The upstream answered HTTP 502", provider: "fake", statusCode: 502, isRetryable: false }),
    };
  }
  return { text: `You said: ${text}` };
});

let station: TestStation;
beforeAll(async () => {
  station = await startTestStation({ providers: [provider], config: { defaults: { chatModel: "fake/scripted" } } });
});
afterAll(async () => station?.close());

describe("unexpected errors inside a stream are hidden as the HTTP handler hides them", () => {
  it("/api/chat/stream: chat_failed without the internal message, also in the stored generation", async () => {
    const result = await postChatStream(station.url, { client_id: "leak", message: "crash" });
    const last = result.events.at(-1);
    expect(last?.event).toBe("error");
    expect(last?.data).toMatchObject({ code: "chat_failed", message: "Internal server error" });
    const generationId = (result.events[0]?.data as { generation_id?: string } | undefined)?.generation_id;
    const generation = await fetch(`${station.url}/api/chat/generation/${generationId}`);
    expect(generation.status).toBe(200);
    const stored = await generation.text();
    expect(stored).toContain('"failed"');
    for (const body of [JSON.stringify(result.events), stored]) {
      expect(body).not.toContain("secret-token-123");
      expect(body).not.toContain("ENOENT");
    }
  });

  it("/api/chat/stream: a StationError keeps its code and message", async () => {
    const result = await postChatStream(station.url, { client_id: "leak", message: "upstream" });
    expect(result.events.at(-1)).toMatchObject({
      event: "error",
      data: { code: "upstream_error", message: "The upstream answered HTTP 502" },
    });
  });

  it("/v1/realtime: response_failed without the internal message; the connection lives on", async () => {
    const client = await connectRealtime(station.url);
    try {
      client.send({ type: "text", event_id: "boom", text: "crash" });
      const events = await client.untilResponseDone();
      expect(ofType(events, "error")[0]).toMatchObject({ event_id: "boom", code: "response_failed", message: "Internal server error" });
      expect(JSON.stringify(client.events)).not.toContain("secret-token-123");
      expect(events.at(-1)).toMatchObject({ type: "response.done", status: "failed" });
      client.send({ type: "text", text: "still there?" });
      expect(await client.next("response.done")).toMatchObject({ status: "completed", text: "You said: still there?" });
    } finally {
      await client.close();
    }
  });
});
