import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { eventsOf, postChatStream } from "./support/chat-sse-client.ts";
import { type FakeOpenAiUpstream, startFakeOpenAiUpstream } from "./support/fake-openai-upstream.ts";
import { createInMemoryMcpServer } from "./support/mcp-in-memory-server.ts";
import { startTestStation, type TestStation } from "./support/start-test-station.ts";

let upstream: FakeOpenAiUpstream;
let station: TestStation;
let releaseLookup: (() => void) | undefined;

// An MCP tool (official SDK server over the SDK's InMemoryTransport) that answers only when the test lets it.
const gate = createInMemoryMcpServer("gate", (server) => {
  server.registerTool("lookup", { description: "Looks a question up", inputSchema: { q: z.string() } }, async ({ q }) => {
    await new Promise<void>((resolve) => {
      releaseLookup = resolve;
    });
    return { content: [{ type: "text", text: `${q} = 42` }] };
  });
});

beforeAll(async () => {
  upstream = await startFakeOpenAiUpstream({ models: ["gpt-test"] });
  station = await startTestStation({
    config: { providers: [{ id: "up", type: "openai", baseUrl: upstream.url, apiKey: "sk-test" }] },
    mcpServers: [gate.definition],
  });
});

afterAll(async () => {
  await station?.close();
  await upstream?.close();
});

describe("the chat tool loop through a real OpenAI-compatible upstream", () => {
  it("sends the tools as OpenAI functions, returns the tool result as a tool message, streams the answer", async () => {
    upstream.script({ toolCalls: [{ id: "call_abc", name: "gate__lookup", arguments: JSON.stringify({ q: "meaning" }) }] });
    const result = await postChatStream(
      station.url,
      { client_id: "openai-user", message: "What is the meaning?", model: "up/gpt-test" },
      {
        onEvent: (event) => {
          if (event.event === "tool_call.started") {
            // The first reply is complete; script the second before the tool lets the loop go on.
            upstream.script({ text: "The meaning is 42." });
            releaseLookup?.();
          }
          return false;
        },
      },
    );
    expect(eventsOf(result, "tool_call.started")[0]).toMatchObject({
      id: "call_abc",
      name: "gate__lookup",
      server: "gate",
      arguments: { q: "meaning" },
    });
    expect(eventsOf(result, "tool_call.result")[0]).toMatchObject({ id: "call_abc", content: "meaning = 42" });
    expect(
      eventsOf(result, "message.delta")
        .map((event) => event.content)
        .join(""),
    ).toBe("The meaning is 42.");
    const done = eventsOf(result, "done")[0] as Record<string, unknown>;
    expect(done).toMatchObject({ finish_reason: "stop", rounds: 2, tool_calls: 1 });
    expect((done.usage as Record<string, number>).total_tokens).toBeGreaterThan(0);

    const chatRequests = upstream.requests.filter((request) => request.path.endsWith("/chat/completions"));
    expect(chatRequests).toHaveLength(2);
    const [first, second] = chatRequests.map((request) => request.body as Record<string, unknown>);
    expect(first?.stream).toBe(true);
    expect(first?.tools).toEqual([
      expect.objectContaining({
        type: "function",
        function: expect.objectContaining({ name: "gate__lookup", description: "Looks a question up" }),
      }),
    ]);
    const messages = second?.messages as Record<string, unknown>[];
    expect(messages.at(-2)).toMatchObject({
      role: "assistant",
      tool_calls: [{ id: "call_abc", type: "function", function: { name: "gate__lookup" } }],
    });
    expect(messages.at(-1)).toMatchObject({ role: "tool", tool_call_id: "call_abc", content: "meaning = 42" });
    expect(chatRequests[0]?.headers.authorization).toBe("Bearer sk-test");
  });

  it("refuses a model the upstream does not list with 404 before streaming, and accepts a bare model name", async () => {
    const unknown = await postChatStream(station.url, { client_id: "openai-user", message: "hi", model: "up/no-such-model" });
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ error: { code: "model_not_found" } });
    upstream.script({ text: "bare works" });
    const bare = await postChatStream(station.url, { client_id: "openai-user", message: "hi", model: "gpt-test" });
    expect(eventsOf(bare, "session")[0]).toMatchObject({ model: "up/gpt-test" });
    expect(eventsOf(bare, "done")[0]).toMatchObject({ content: "bare works" });
  });

  it("aborts the upstream request when the chat client disconnects", async () => {
    upstream.script({ text: "a long, slowly streamed answer that nobody waits for", chunkSize: 2, chunkDelayMs: 200 });
    const abortedBefore = upstream.aborted;
    const result = await postChatStream(
      station.url,
      { client_id: "openai-user", message: "Tell me a story", model: "up/gpt-test" },
      { onEvent: (event) => event.event === "message.delta" },
    );
    expect(result.events.map((event) => event.event)).toEqual(["session", "message.delta"]);
    await upstream.waitForAborts(abortedBefore + 1);
    expect(upstream.aborted).toBe(abortedBefore + 1);
  });
});
