import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventsOf, postChatStream } from "../support/chat-sse-client.ts";
import { type FakeMoondreamUpstream, startFakeMoondreamUpstream } from "../support/fake-moondream-upstream.ts";
import { type FakeOpenAiUpstream, startFakeOpenAiUpstream } from "../support/fake-openai-upstream.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { solidPng, toDataUrl } from "../support/vision-images.ts";

/**
 * A stream the upstream started and then got wrong (an error event, a chunk that is not JSON,
 * an end before it says it is done) is the upstream's error, in its own words: never "could not
 * be reached" / upstream_unavailable, which would send whoever reads it looking for a network fault.
 */
describe("errors inside an upstream stream keep the upstream's message and an upstream_error code", () => {
  let openai: FakeOpenAiUpstream;
  let moondream: FakeMoondreamUpstream;
  let station: TestStation;

  beforeAll(async () => {
    openai = await startFakeOpenAiUpstream({ models: ["gpt-test"] });
    moondream = await startFakeMoondreamUpstream();
    station = await startTestStation({
      config: {
        providers: [
          { id: "up", type: "openai", baseUrl: openai.url },
          { id: "md", type: "moondream", baseUrl: moondream.url },
        ],
      },
    });
  });
  afterAll(async () => {
    await station?.close();
    await openai?.close();
    await moondream?.close();
  });

  const chatError = async (tail: string): Promise<Record<string, unknown> | undefined> => {
    openai.script({ text: "Once upon a time there was a stream" });
    openai.fail({ kind: "stream-tail", afterChunks: 3, tail });
    const result = await postChatStream(station.url, { client_id: "stream-errors", message: "Tell me a story", model: "up/gpt-test" });
    expect(eventsOf(result, "message.delta").length).toBeGreaterThan(0);
    return eventsOf(result, "error")[0];
  };

  it("an OpenAI-style error event mid-stream", async () => {
    const error = await chatError('data: {"error":{"message":"CUDA out of memory","type":"server_error","code":null}}\n\n');
    expect(error).toMatchObject({ code: "upstream_error", message: expect.stringContaining("CUDA out of memory") });
    expect(String(error?.message)).not.toMatch(/could not be reached/);
  });

  it("a chunk that is not JSON", async () => {
    const error = await chatError('data: {"choices": [oops\n\n');
    expect(error).toMatchObject({ code: "upstream_error", message: expect.stringMatching(/not JSON: \{"choices": \[oops/) });
  });

  it("a stream that stops before its finish reason", async () => {
    const error = await chatError("");
    expect(error).toMatchObject({ code: "upstream_error", message: expect.stringMatching(/before a finish reason/) });
  });

  const captionEvents = async (tail: string): Promise<Record<string, unknown>[]> => {
    moondream.endNextStreamWith(tail);
    const response = await fetch(`${station.url}/v1/caption`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ image_url: toDataUrl(await solidPng(64, 48)), stream: true, model: "md/moondream" }),
    });
    expect(response.status).toBe(200);
    return (await response.text())
      .split("\n\n")
      .filter((event) => event.length > 0)
      .map((event) => JSON.parse(event.slice("data: ".length)) as Record<string, unknown>);
  };

  it("Moondream: an error event, a line that is not JSON, an end before completed", async () => {
    const errorEvent = await captionEvents('data: {"error": "GPU fell over"}\n\n');
    expect(errorEvent[0]).toHaveProperty("chunk");
    expect(errorEvent.at(-1)).toMatchObject({ error: { code: "upstream_error", message: expect.stringContaining("GPU fell over") } });
    const garbage = await captionEvents("data: <html>oops</html>\n\n");
    expect(garbage.at(-1)).toMatchObject({ error: { code: "upstream_error", message: expect.stringMatching(/not JSON: <html>/) } });
    const cut = await captionEvents("");
    expect(cut.at(-1)).toMatchObject({ error: { code: "upstream_error", message: expect.stringMatching(/before it completed/) } });
  });
});
