import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeAnthropicUpstream, startFakeAnthropicUpstream } from "../support/fake-anthropic-upstream.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";

/** The `anthropic` provider: Station's surfaces over an upstream that speaks Anthropic's Messages API. */
describe("anthropic provider", () => {
  let upstream: FakeAnthropicUpstream;
  let station: TestStation;
  let openai: OpenAI;
  const upstreamKey = "sk-ant-upstream-test";

  beforeAll(async () => {
    upstream = await startFakeAnthropicUpstream({ models: ["claude-test"], apiKey: upstreamKey });
    station = await startTestStation({
      config: { providers: [{ id: "claude", type: "anthropic", baseUrl: upstream.url, apiKey: upstreamKey, retry: { attempts: 1 } }] },
    });
    openai = new OpenAI({ apiKey: "unused", baseURL: `${station.url}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await station?.close();
    await upstream?.close();
  });

  const lastMessagesBody = () => upstream.requests.filter((request) => request.path === "/v1/messages").at(-1);

  it("lists the upstream's models and answers chat completions, with system, max_tokens and its headers sent", async () => {
    const models = await openai.models.list();
    expect(models.data.map((model) => model.id)).toContain("claude/claude-test");
    upstream.script({ text: "Bonjour" });
    const completion = await openai.chat.completions.create({
      model: "claude/claude-test",
      messages: [
        { role: "system", content: "Answer in French" },
        { role: "user", content: "Hello" },
      ],
      temperature: 0.2,
      stop: ["\n\n"],
    });
    expect(completion.choices[0]?.message.content).toBe("Bonjour");
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 2, total_tokens: 13 });
    const sent = lastMessagesBody();
    expect(sent?.headers["x-api-key"]).toBe(upstreamKey);
    expect(sent?.headers["anthropic-version"]).toBe("2023-06-01");
    expect(sent?.body).toMatchObject({
      model: "claude-test",
      system: "Answer in French",
      max_tokens: 4096,
      temperature: 0.2,
      stop_sequences: ["\n\n"],
      messages: [{ role: "user", content: [{ type: "text", text: "Hello" }] }],
    });
  });

  it("streams text and a tool call, and sends a tool round trip as tool_use and tool_result blocks", async () => {
    upstream.script({ text: "Let me look.", toolCalls: [{ name: "lookup", input: { city: "Paris", days: 3 } }], chunkSize: 5 });
    const tools = [{ type: "function" as const, function: { name: "lookup", parameters: { type: "object", properties: {} } } }];
    const stream = openai.chat.completions.stream({
      model: "claude/claude-test",
      messages: [{ role: "user", content: "Weather?" }],
      tools,
    });
    const final = await stream.finalChatCompletion();
    const message = final.choices[0]?.message;
    expect(message?.content).toBe("Let me look.");
    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
    const call = message?.tool_calls?.[0];
    expect(call?.type === "function" ? call.function : undefined).toMatchObject({ name: "lookup" });
    expect(JSON.parse(call?.type === "function" ? call.function.arguments : "{}")).toEqual({ city: "Paris", days: 3 });

    upstream.script({ text: "Sunny." });
    await openai.chat.completions.create({
      model: "claude/claude-test",
      tools,
      messages: [
        { role: "user", content: "Weather?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "toolu_1", type: "function", function: { name: "lookup", arguments: '{"city":"Paris"}' } }],
        },
        { role: "tool", tool_call_id: "toolu_1", content: "sunny, 24 °C" },
      ],
    });
    expect(lastMessagesBody()?.body?.messages).toEqual([
      { role: "user", content: [{ type: "text", text: "Weather?" }] },
      { role: "assistant", content: [{ type: "tool_use", id: "toolu_1", name: "lookup", input: { city: "Paris" } }] },
      { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_1", content: "sunny, 24 °C" }] },
    ]);
  });

  it("serves the Anthropic SDK's messages.stream() through Station over it", async () => {
    upstream.script({ text: "Round trip through Station.", chunkSize: 6 });
    const client = new Anthropic({ apiKey: "unused", baseURL: station.url, maxRetries: 0 });
    const message = await client.messages
      .stream({ model: "claude/claude-test", max_tokens: 32, messages: [{ role: "user", content: "Hi" }] })
      .finalMessage();
    expect(message.content[0]).toMatchObject({ type: "text", text: "Round trip through Station." });
    expect(message.stop_reason).toBe("end_turn");
    expect(lastMessagesBody()?.body).toMatchObject({ max_tokens: 32, stream: true });
  });

  it("relays /v1/messages to it natively: the client's body with only model rewritten, the upstream's reply back", async () => {
    upstream.script({ text: "Relayed." });
    const client = new Anthropic({ apiKey: "unused", baseURL: station.url, maxRetries: 0 });
    const message = await client.messages.create({
      model: "claude/claude-test",
      max_tokens: 20,
      metadata: { user_id: "user-7" },
      messages: [{ role: "user", content: [{ type: "text", text: "Hi", cache_control: { type: "ephemeral" } }] }],
    });
    // The upstream's own message id: the reply was relayed, not rebuilt by Station.
    expect(message.id).toMatch(/^msg_fake/);
    expect(message.content[0]).toMatchObject({ type: "text", text: "Relayed." });
    expect(lastMessagesBody()?.body).toEqual({
      model: "claude-test",
      max_tokens: 20,
      metadata: { user_id: "user-7" },
      messages: [{ role: "user", content: [{ type: "text", text: "Hi", cache_control: { type: "ephemeral" } }] }],
    });
    const unknown = await client.messages
      .create({ model: "claude/claude-missing", max_tokens: 5, messages: [{ role: "user", content: "Hi" }] })
      .catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(Anthropic.APIError);
  });

  it("ends a stream that the upstream fails midway with an error, and maps upstream refusals", async () => {
    upstream.script({ text: "partial answer", chunkSize: 4, failMidStream: true });
    const failed = await (async () => {
      const stream = await openai.chat.completions.create({
        model: "claude/claude-test",
        messages: [{ role: "user", content: "Hi" }],
        stream: true,
      });
      for await (const _chunk of stream) {
        // read until it fails
      }
    })().catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(Error);
    expect(String((failed as Error).message)).toMatch(/Overloaded|error/i);
    const unknown = await openai.chat.completions
      .create({ model: "claude/claude-missing", messages: [{ role: "user", content: "Hi" }] })
      .catch((error: unknown) => error);
    expect(unknown).toBeInstanceOf(OpenAI.APIError);
  });
});
