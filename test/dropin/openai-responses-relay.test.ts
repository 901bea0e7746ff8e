import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAiUpstream, onePixelPng, startFakeOpenAiUpstream } from "../support/fake-openai-upstream.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";

/**
 * /v1/responses relayed natively to an `openai` provider with `responses: true` (the client's body,
 * only `model` rewritten; the upstream's bytes back), and translated onto chat completions for one
 * without the flag, for images, and for a previous response Station stored itself.
 */
describe("OpenAI Responses native relay", () => {
  let upstream: FakeOpenAiUpstream;
  let station: TestStation;
  let client: OpenAI;

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ models: ["gpt-test", "gpt-4o-test"] });
    station = await startTestStation({
      config: {
        providers: [
          { id: "native", type: "openai", baseUrl: upstream.url, responses: true, retry: { attempts: 2 } },
          { id: "plain", type: "openai", baseUrl: upstream.url, retry: { attempts: 1 } },
        ],
      },
    });
    client = new OpenAI({ apiKey: "unused", baseURL: `${station.url}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await station?.close();
    await upstream?.close();
  });

  const requestsTo = (path: string) => upstream.requests.filter((request) => request.path === path);

  it("relays responses.create with only model rewritten and hands back the upstream's response", async () => {
    upstream.script({ text: "Relayed answer." });
    const before = requestsTo("/v1/chat/completions").length;
    const response = await client.responses.create({
      model: "native/gpt-test",
      instructions: "Be brief",
      input: [{ role: "user", content: [{ type: "input_text", text: "Hi" }] }],
      temperature: 0.3,
      metadata: { trace: "t-1" },
      reasoning: { effort: "low" },
    });
    // The upstream's own id: relayed, not rebuilt by Station.
    expect(response.id).toMatch(/^resp_fake/);
    expect(response.output_text).toBe("Relayed answer.");
    expect(requestsTo("/v1/responses").at(-1)?.body).toEqual({
      model: "gpt-test",
      instructions: "Be brief",
      input: [{ role: "user", content: [{ type: "input_text", text: "Hi" }] }],
      temperature: 0.3,
      metadata: { trace: "t-1" },
      reasoning: { effort: "low" },
    });
    expect(requestsTo("/v1/chat/completions").length).toBe(before);
  });

  it("forwards retrieve, input_items and delete of a relayed response to the upstream that holds it", async () => {
    upstream.script({ text: "Kept upstream." });
    const response = await client.responses.create({ model: "native/gpt-test", input: "Remember me" });
    const path = `/v1/responses/${response.id}`;
    // Station stored none of it: the upstream answers, and only the provider that relays Responses is asked.
    const retrieved = await client.responses.retrieve(response.id);
    expect(retrieved.id).toBe(response.id);
    expect(retrieved.output_text).toBe("Kept upstream.");
    expect(requestsTo(path).map((request) => request.method)).toEqual(["GET"]);

    const items = await client.responses.inputItems.list(response.id);
    expect(items.data).toMatchObject([{ type: "message", role: "user", content: [{ type: "input_text", text: "Remember me" }] }]);

    await client.responses.delete(response.id);
    expect(requestsTo(path).map((request) => request.method)).toEqual(["GET", "DELETE"]);
    const gone = await client.responses.retrieve(response.id).catch((error: unknown) => error);
    expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
    const deletedAgain = await client.responses.delete(response.id).catch((error: unknown) => error);
    expect(deletedAgain).toBeInstanceOf(OpenAI.NotFoundError);

    // store: false upstream too, so nobody holds it: Station's own 404 in OpenAI's shape.
    const unstored = await client.responses.create({ model: "native/gpt-test", input: "Forget me", store: false });
    const missing = await fetch(`${station.url}/v1/responses/${unstored.id}`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: "response_not_found" } });
  });

  it("streams the upstream's events untouched", async () => {
    upstream.script({ text: "Streamed through", chunkSize: 5 });
    const stream = await client.responses.create({ model: "native/gpt-test", input: "Hi", stream: true });
    const events: { type: string; sequence_number: number }[] = [];
    for await (const event of stream) events.push(event);
    expect(events.map((event) => event.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const completed = events.at(-1) as unknown as { response: { id: string; output: { content: { text: string }[] }[] } };
    expect(completed.response.id).toMatch(/^resp_fake/);
    expect(completed.response.output[0]?.content[0]?.text).toBe("Streamed through");
    expect(requestsTo("/v1/responses").at(-1)?.body).toEqual({ model: "gpt-test", input: "Hi", stream: true });
  });

  it("ends a relayed stream cut midway with the Responses error event, which the official client raises", async () => {
    upstream.script({ text: "Cut short here", chunkSize: 4 });
    upstream.fail({ kind: "die-midway", afterChunks: 5 });
    const stream = await client.responses.create({ model: "native/gpt-test", input: "Hi", stream: true });
    const seen: string[] = [];
    const failure = await (async () => {
      for await (const event of stream) seen.push(event.type);
    })().catch((error: unknown) => error);
    expect(seen.slice(0, 5)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
    ]);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect((failure as InstanceType<typeof OpenAI.APIError>).message).toMatch(/upstream/i);

    upstream.fail({ kind: "die-midway", afterChunks: 5 });
    const raw = await fetch(`${station.url}/v1/responses`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "native/gpt-test", input: "Hi", stream: true }),
    });
    const frames = (await raw.text()).split("\n\n").filter((frame) => frame.trim() !== "");
    const last = frames.at(-1) ?? "";
    expect(last.startsWith("event: error\ndata: ")).toBe(true);
    const data = JSON.parse(last.slice("event: error\ndata: ".length)) as {
      type: string;
      sequence_number: number;
      code: string;
      message: string;
      error: { code: string; message: string };
    };
    expect(data.type).toBe("error");
    // The upstream's five events were numbered 0-4: the error event is the sixth.
    expect(frames.filter((frame) => frame.includes('"sequence_number"')).length).toBe(6);
    expect(data.sequence_number).toBe(5);
    expect(data.code).toBeTruthy();
    expect(data.message).toMatch(/upstream/i);
    expect(data.error).toEqual({ type: "server_error", code: data.code, message: data.message, param: null });
  });

  it("retries a failed relay through the resilience layer", async () => {
    upstream.script({ text: "After a retry." });
    const before = requestsTo("/v1/responses").length;
    upstream.fail({ kind: "status", status: 500 });
    const response = await client.responses.create({ model: "native/gpt-test", input: "Hi" });
    expect(response.output_text).toBe("After a retry.");
    expect(requestsTo("/v1/responses").length).toBe(before + 2);
  });

  it("relays a previous_response_id Station did not store to the upstream, whose it is", async () => {
    await client.responses.create({ model: "native/gpt-test", input: "Go on", previous_response_id: "resp_fake_upstream_own" });
    expect(requestsTo("/v1/responses").at(-1)?.body).toMatchObject({ previous_response_id: "resp_fake_upstream_own", input: "Go on" });
  });

  it("translates without the flag, for images, and for a previous response Station stored", async () => {
    upstream.script({ text: "Translated." });
    const relayed = requestsTo("/v1/responses").length;
    const first = await client.responses.create({ model: "plain/gpt-test", input: "My name is Ada." });
    expect(first.id).not.toMatch(/^resp_fake/);
    expect(first.output_text).toBe("Translated.");
    expect(requestsTo("/v1/chat/completions").at(-1)?.body).toMatchObject({ model: "gpt-test" });

    const continued = await client.responses.create({ model: "native/gpt-test", input: "And?", previous_response_id: first.id });
    expect(continued.previous_response_id).toBe(first.id);
    expect(requestsTo("/v1/chat/completions").at(-1)?.body).toMatchObject({
      messages: [
        { role: "user", content: "My name is Ada." },
        { role: "assistant", content: "Translated." },
        { role: "user", content: "And?" },
      ],
    });

    const image = await client.responses.create({
      model: "native/gpt-4o-test",
      input: [{ role: "user", content: [{ type: "input_image", image_url: `data:image/png;base64,${onePixelPng}`, detail: "auto" }] }],
    });
    expect(image.id).not.toMatch(/^resp_fake/);
    expect(JSON.stringify(requestsTo("/v1/chat/completions").at(-1)?.body)).toContain("image_url");
    expect(requestsTo("/v1/responses").length).toBe(relayed);
  });
});
