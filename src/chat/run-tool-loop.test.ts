import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createScriptedChatProvider, lastMessage } from "../../test/support/chat-scripted-provider.ts";
import { createInMemoryMcpServer, waitUntil } from "../../test/support/mcp-in-memory-server.ts";
import { parseConfig } from "../config/load-config.ts";
import { createLogger } from "../logging/create-logger.ts";
import { createMcpRegistry } from "../mcp/create-mcp-registry.ts";
import type { McpRegistry } from "../mcp/mcp-registry.ts";
import { createMcpServerStore } from "../mcp/mcp-server-store.ts";
import type { ChatMessage } from "../providers/spec/index.ts";
import { type Database, openDatabase } from "../storage/database.ts";
import { migrate } from "../storage/migrate.ts";
import type { ChatEvent } from "./chat-event.ts";
import { runToolLoop, type ToolLoopResult } from "./run-tool-loop.ts";

let database: Database | undefined;
let mcp: McpRegistry | undefined;
let cancelledCalls = 0;
let runningCalls = 0;

const counter = createInMemoryMcpServer("count", (server) => {
  let calls = 0;
  server.registerTool("next", { inputSchema: { step: z.number() } }, async () => ({
    content: [{ type: "text", text: `call ${++calls}` }],
  }));
  server.registerTool("wait", {}, (extra) => {
    runningCalls++;
    return new Promise((_resolve, reject) => {
      extra.signal.addEventListener("abort", () => {
        cancelledCalls++;
        reject(new Error("cancelled"));
      });
    });
  });
});

async function startMcp(): Promise<McpRegistry> {
  database = openDatabase(":memory:");
  await migrate(database);
  mcp = createMcpRegistry({
    config: parseConfig({ providers: [] }, "test").mcp,
    allowPrivateNetworks: false,
    store: createMcpServerStore(database.kysely),
    logger: createLogger("silent"),
    clientInfo: { name: "loop-test", version: "0" },
    servers: [counter.definition],
  });
  await mcp.start();
  return mcp;
}

afterEach(async () => {
  await mcp?.close();
  await database?.close();
});

async function drain(loop: AsyncGenerator<ChatEvent, ToolLoopResult>): Promise<{ events: ChatEvent[]; result: ToolLoopResult }> {
  const events: ChatEvent[] = [];
  for (;;) {
    const next = await loop.next();
    if (next.done) return { events, result: next.value };
    events.push(next.value);
  }
}

function loopOptions(registry: McpRegistry, model: ReturnType<typeof createScriptedChatProvider>, signal = new AbortController().signal) {
  const saved: ChatMessage[] = [];
  return {
    saved,
    options: {
      model: model.chatModel!("scripted"),
      messages: [{ role: "user" as const, content: "go" }],
      tools: registry.catalog().map((tool) => ({ name: tool.name, parameters: tool.inputSchema })),
      parameters: {},
      maxToolRounds: 2,
      executeTool: (call: { name: string; arguments: string }, toolSignal: AbortSignal) =>
        registry.callTool(call.name, call.arguments, { signal: toolSignal }),
      describeTool: () => ({ server: "count", tool: null }),
      saveMessage: async (message: ChatMessage) => {
        saved.push(message);
        return `m${saved.length}`;
      },
      signal,
    },
  };
}

describe("runToolLoop over the SDK's in-memory MCP transport", () => {
  it("stops offering tools after maxToolRounds and lets the model answer", async () => {
    const registry = await startMcp();
    const model = createScriptedChatProvider("fake", (request) =>
      request.tools === undefined ? { text: "gave up" } : { toolCalls: [{ name: "count__next", arguments: { step: 1 } }] },
    );
    const { options, saved } = loopOptions(registry, model);
    const { events, result } = await drain(runToolLoop(options));
    expect(model.requests.map((request) => request.tools?.length ?? 0)).toEqual([2, 2, 0]);
    expect(events.filter((event) => event.type === "tool_call.result").map((event) => (event.data as { content: string }).content)).toEqual(
      ["call 1", "call 2"],
    );
    expect(result).toMatchObject({ text: "gave up", finishReason: "stop", rounds: 3, toolCalls: 2, messageId: "m5" });
    expect(saved.map((message) => message.role)).toEqual(["assistant", "tool", "assistant", "tool", "assistant"]);
  });

  it("reports max_tool_rounds when the model keeps asking for tools it was not offered", async () => {
    const registry = await startMcp();
    const model = createScriptedChatProvider("fake", () => ({
      text: "again",
      toolCalls: [{ name: "count__next", arguments: { step: 1 } }],
    }));
    const { options } = loopOptions(registry, model);
    const { result } = await drain(runToolLoop(options));
    expect(result).toMatchObject({ finishReason: "max_tool_rounds", rounds: 3, toolCalls: 2 });
  });

  it("cancels the in-flight MCP call when the turn is aborted", async () => {
    const registry = await startMcp();
    const model = createScriptedChatProvider("fake", (request) =>
      lastMessage(request)?.role === "tool" ? { text: "never" } : { toolCalls: [{ name: "count__wait", arguments: {} }] },
    );
    const controller = new AbortController();
    const { options } = loopOptions(registry, model, controller.signal);
    const loop = runToolLoop(options);
    const events: string[] = [];
    const finished = (async () => {
      for await (const event of loop) {
        events.push(event.type);
        // Abort once the server is really running the tool, as a client hanging up mid-call would.
        if (event.type === "tool_call.started")
          void waitUntil(() => runningCalls === 1, "the tool to start").then(() => controller.abort());
      }
    })();
    await expect(finished).rejects.toThrow(/abort/i);
    await waitUntil(() => cancelledCalls === 1, "the MCP server to see the cancellation");
    expect(events).toEqual(["usage", "tool_call.started"]);
    expect(model.requests).toHaveLength(1);
  });
});
