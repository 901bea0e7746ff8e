import Anthropic from "@anthropic-ai/sdk";
import { beforeAll, describe, expect, it } from "vitest";
import { useDropinStation } from "../support/dropin-station.ts";
import { onePixelPng } from "../support/fake-openai-upstream.ts";

/** The official Anthropic SDK against Station's /v1/messages, over an OpenAI-compatible upstream. */
describe("Anthropic Messages API", () => {
  const apiKey = "sk-station-anthropic-test";
  const dropin = useDropinStation({
    models: ["gpt-test", "gpt-4o-test", "text-embedding-test"],
    config: { server: { apiKeys: [apiKey] } },
  });
  let client: Anthropic;

  beforeAll(() => {
    client = new Anthropic({ apiKey, baseURL: dropin.station.url, maxRetries: 0 });
  });

  const lastChatRequest = dropin.lastChatRequest;

  it("messages.create answers a message, with system, stop_sequences and sampling sent upstream", async () => {
    dropin.upstream.script({ text: "Bonjour" });
    const message = await client.messages.create({
      model: "fake/gpt-test",
      max_tokens: 64,
      system: "Answer in French",
      stop_sequences: ["\n\n"],
      // Older API versions' sampling field: this SDK's types no longer list it, Claude Code still sends it.
      ...({ temperature: 0.2 } as object),
      messages: [{ role: "user", content: "Hello" }],
    });
    expect(message).toMatchObject({
      type: "message",
      role: "assistant",
      model: "fake/gpt-test",
      content: [{ type: "text", text: "Bonjour" }],
      stop_reason: "end_turn",
      stop_sequence: null,
    });
    expect(message.id).toMatch(/^msg_/);
    expect(message.usage.output_tokens).toBeGreaterThan(0);
    expect(message.usage.input_tokens).toBeGreaterThan(0);
    expect(lastChatRequest()?.body).toMatchObject({
      model: "gpt-test",
      max_tokens: 64,
      stop: ["\n\n"],
      temperature: 0.2,
      messages: [
        { role: "system", content: "Answer in French" },
        { role: "user", content: "Hello" },
      ],
    });
  });

  it("sets x-station-overhead-ms on the reply", async () => {
    const { response } = await client.messages
      .create({ model: "fake/gpt-test", max_tokens: 8, messages: [{ role: "user", content: "Hi" }] })
      .withResponse();
    expect(Number(response.headers.get("x-station-overhead-ms"))).toBeGreaterThanOrEqual(0);
  });

  it("messages.stream() delivers text deltas and a final message", async () => {
    dropin.upstream.script({ text: "Streaming works fine", chunkSize: 3 });
    const stream = client.messages.stream({ model: "fake/gpt-test", max_tokens: 64, messages: [{ role: "user", content: "Hi" }] });
    const deltas: string[] = [];
    stream.on("text", (delta) => deltas.push(delta));
    const message = await stream.finalMessage();
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe("Streaming works fine");
    expect(message.content).toMatchObject([{ type: "text", text: "Streaming works fine" }]);
    expect(message.stop_reason).toBe("end_turn");
    expect(message.usage.output_tokens).toBeGreaterThan(0);
  });

  it("streams the raw events in the order the SDK expects", async () => {
    dropin.upstream.script({ text: "Hi there" });
    const stream = await client.messages.create({
      model: "fake/gpt-test",
      max_tokens: 64,
      stream: true,
      messages: [{ role: "user", content: "Hi" }],
    });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types[0]).toBe("message_start");
    expect(types[1]).toBe("content_block_start");
    expect(types.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
    expect(types.filter((type) => type === "content_block_delta").length).toBeGreaterThan(0);
  });

  it("streams reasoning as a thinking block before the text", async () => {
    dropin.upstream.script({ text: "42", reasoning: "Six times seven." });
    const message = await client.messages
      .stream({ model: "fake/gpt-test", max_tokens: 64, messages: [{ role: "user", content: "6*7?" }] })
      .finalMessage();
    expect(message.content[0]).toMatchObject({ type: "thinking", thinking: "Six times seven." });
    expect(message.content[1]).toMatchObject({ type: "text", text: "42" });
  });

  it("runs a tool round trip: tool_use streamed with input_json_delta, tool_result sent back", async () => {
    const tools: Anthropic.Tool[] = [
      {
        name: "get_weather",
        description: "Weather for a city",
        input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
      },
    ];
    dropin.upstream.script({ toolCalls: [{ id: "call_1", name: "get_weather", arguments: '{"city":"Paris"}' }], chunkSize: 5 });
    const stream = client.messages.stream({
      model: "fake/gpt-test",
      max_tokens: 64,
      tools,
      tool_choice: { type: "tool", name: "get_weather" },
      messages: [{ role: "user", content: "Weather in Paris?" }],
    });
    const jsonDeltas: string[] = [];
    stream.on("inputJson", (delta) => jsonDeltas.push(delta));
    const first = await stream.finalMessage();
    expect(jsonDeltas.length).toBeGreaterThan(1);
    expect(first.stop_reason).toBe("tool_use");
    const toolUse = first.content.find((block) => block.type === "tool_use");
    expect(toolUse).toMatchObject({ type: "tool_use", id: "call_1", name: "get_weather", input: { city: "Paris" } });
    expect(lastChatRequest()?.body).toMatchObject({
      tools: [{ type: "function", function: { name: "get_weather", parameters: tools[0]?.input_schema } }],
      tool_choice: { type: "function", function: { name: "get_weather" } },
    });

    dropin.upstream.script({ text: "It is sunny in Paris." });
    const second = await client.messages.create({
      model: "fake/gpt-test",
      max_tokens: 64,
      tools,
      messages: [
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: first.content },
        { role: "user", content: [{ type: "tool_result", tool_use_id: "call_1", content: "sunny, 24 C" }] },
      ],
    });
    expect(second.content).toEqual([{ type: "text", text: "It is sunny in Paris." }]);
    const sent = lastChatRequest()?.body?.messages as Record<string, unknown>[];
    expect(sent[1]).toMatchObject({
      role: "assistant",
      tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
    });
    expect(sent[2]).toEqual({ role: "tool", content: "sunny, 24 C", tool_call_id: "call_1" });
  });

  it("returns tool_use blocks in a non-streamed reply", async () => {
    dropin.upstream.script({ toolCalls: [{ id: "call_9", name: "lookup", arguments: '{"q":"x"}' }] });
    const message = await client.messages.create({
      model: "fake/gpt-test",
      max_tokens: 64,
      tools: [{ name: "lookup", input_schema: { type: "object", properties: { q: { type: "string" } } } }],
      messages: [{ role: "user", content: "look up x" }],
    });
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content).toEqual([{ type: "tool_use", id: "call_9", name: "lookup", input: { q: "x" } }]);
  });

  it("passes a base64 image to a vision model as an image part", async () => {
    const message = await client.messages.create({
      model: "fake/gpt-4o-test",
      max_tokens: 64,
      messages: [
        {
          role: "user",
          content: [
            { type: "image", source: { type: "base64", media_type: "image/png", data: onePixelPng } },
            { type: "text", text: "What is this?" },
          ],
        },
      ],
    });
    expect(message.content[0]).toMatchObject({ type: "text" });
    const sent = (lastChatRequest()?.body?.messages ?? []) as { content: { type: string; image_url?: { url: string } }[] }[];
    const parts = sent[0]?.content;
    expect(parts?.[0]?.type).toBe("image_url");
    expect(parts?.[0]?.image_url?.url).toMatch(/^data:image\/(png|jpeg);base64,/);
    expect(parts?.[1]).toEqual({ type: "text", text: "What is this?" });
  });

  it("refuses an image for a model that cannot see, with no OCR model, in Anthropic's shape", async () => {
    const before = dropin.upstream.requests.length;
    const error = await client.messages
      .create({
        model: "fake/gpt-test",
        max_tokens: 64,
        messages: [{ role: "user", content: [{ type: "image", source: { type: "base64", media_type: "image/png", data: onePixelPng } }] }],
      })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Anthropic.BadRequestError);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: "error",
      error: { type: "invalid_request_error" },
    });
    expect(dropin.upstream.requests.length).toBe(before);
  });

  it("count_tokens estimates the prompt", async () => {
    const short = await client.messages.countTokens({ model: "fake/gpt-test", messages: [{ role: "user", content: "Hi" }] });
    const long = await client.messages.countTokens({
      model: "fake/gpt-test",
      system: "You are helpful.",
      messages: [{ role: "user", content: "Hi ".repeat(200) }],
    });
    expect(short.input_tokens).toBeGreaterThan(0);
    expect(long.input_tokens).toBeGreaterThan(short.input_tokens + 100);
  });

  it("answers errors in Anthropic's shape: unknown model, bad input, wrong key", async () => {
    const notFound = await client.messages
      .create({ model: "fake/nope", max_tokens: 8, messages: [{ role: "user", content: "Hi" }] })
      .catch((caught: unknown) => caught);
    expect(notFound).toBeInstanceOf(Anthropic.NotFoundError);
    expect((notFound as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
      type: "error",
      error: { type: "not_found_error" },
    });

    const bad = await client.messages
      .create({ model: "fake/gpt-test", max_tokens: 0, messages: [{ role: "user", content: "Hi" }] })
      .catch((caught: unknown) => caught);
    expect(bad).toBeInstanceOf(Anthropic.BadRequestError);
    expect(((bad as InstanceType<typeof Anthropic.APIError>).error as { error: { message: string } }).error.message).toMatch(/max_tokens/);

    const unauthorized = await new Anthropic({ apiKey: "wrong", baseURL: dropin.station.url, maxRetries: 0 }).messages
      .create({ model: "fake/gpt-test", max_tokens: 8, messages: [{ role: "user", content: "Hi" }] })
      .catch((caught: unknown) => caught);
    expect(unauthorized).toBeInstanceOf(Anthropic.AuthenticationError);

    const response = await fetch(`${dropin.station.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": apiKey, "content-type": "application/json" },
      body: "{not json",
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ type: "error", error: { type: "invalid_request_error" } });
  });

  it("ends a stream that dies midway with an error event the SDK throws", async () => {
    dropin.upstream.script({ text: "This reply will be cut off somewhere in the middle", chunkSize: 2 });
    dropin.upstream.fail({ kind: "die-midway", afterChunks: 4 });
    const stream = client.messages.stream({ model: "fake/gpt-test", max_tokens: 64, messages: [{ role: "user", content: "Hi" }] });
    const deltas: string[] = [];
    stream.on("text", (delta) => deltas.push(delta));
    const error = await stream.finalMessage().catch((caught: unknown) => caught);
    expect(deltas.length).toBeGreaterThan(0);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(String((error as Error).message)).toMatch(/api_error|upstream|stream/i);
  });

  it("aborts the upstream call when the client disconnects mid-stream", async () => {
    dropin.upstream.script({ text: "x".repeat(400), chunkSize: 1, chunkDelayMs: 5 });
    const abortsBefore = dropin.upstream.aborted;
    const controller = new AbortController();
    const stream = client.messages.stream(
      { model: "fake/gpt-test", max_tokens: 64, messages: [{ role: "user", content: "Hi" }] },
      { signal: controller.signal },
    );
    const ended = stream.finalMessage().catch((caught: unknown) => caught);
    await new Promise<void>((resolve) => stream.on("text", () => resolve()));
    controller.abort();
    expect(await ended).toBeInstanceOf(Anthropic.APIUserAbortError);
    await dropin.upstream.waitForAborts(abortsBefore + 1);
    expect(dropin.upstream.aborted).toBe(abortsBefore + 1);
  });
});
