import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatRequest } from "../src/providers/spec/index.ts";
import { createScriptedChatProvider, lastMessage, type ScriptedReply, textOf } from "./support/chat-scripted-provider.ts";
import { type ChatStreamOptions, type ChatStreamResult, eventsOf, postChatStream } from "./support/chat-sse-client.ts";
import { waitUntil } from "./support/mcp-in-memory-server.ts";
import { startTestStation, type TestStation } from "./support/start-test-station.ts";

const everythingBin = path.resolve("node_modules/@modelcontextprotocol/server-everything/dist/index.js");
const filesystemBin = path.resolve("node_modules/@modelcontextprotocol/server-filesystem/dist/index.js");
const faultBin = path.resolve("test/support/mcp-fault-server.mjs");

let station: TestStation;
let workDir: string;
let startsFile: string;

/** The fake model: asks for the tools a user message names; once tool results are in, answers with them. */
function script(request: ChatRequest): ScriptedReply {
  const last = lastMessage(request);
  if (last?.role === "tool") {
    const results = [];
    for (let index = request.messages.length - 1; index >= 0 && request.messages[index]?.role === "tool"; index--) {
      results.unshift(textOf(request.messages[index]));
    }
    return { text: `Tool said: ${results.join(" | ")}`, usage: { promptTokens: 50, completionTokens: 8 } };
  }
  const text = textOf(last);
  if (text.startsWith("sum"))
    return { toolCalls: [{ name: "everything__get-sum", arguments: { a: 2, b: 3 } }], usage: { promptTokens: 40, completionTokens: 5 } };
  if (text.startsWith("read"))
    return { toolCalls: [{ name: "files__read_text_file", arguments: { path: path.join(workDir, "notes.txt") } }] };
  if (text.startsWith("both")) {
    return {
      toolCalls: [
        { name: "everything__get-sum", arguments: { a: 20, b: 22 } },
        { name: "everything__echo", arguments: { message: "parallel" } },
      ],
    };
  }
  if (text.startsWith("crash")) return { toolCalls: [{ name: "fault__crash", arguments: {} }] };
  if (text.startsWith("hang")) return { toolCalls: [{ name: "fault__hang", arguments: {} }] };
  if (text.startsWith("echo")) return { toolCalls: [{ name: "fault__echo", arguments: { text: "again" } }] };
  if (text.startsWith("forbidden")) return { toolCalls: [{ name: "files__list_allowed_directories", arguments: {} }] };
  if (text.startsWith("stall")) return { text: "Thinking", hangAfterText: true };
  return { text: `You said: ${text}` };
}

const provider = createScriptedChatProvider("fake", script);

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), "station-mcp-files-"));
  writeFileSync(path.join(workDir, "notes.txt"), "The secret is 1234");
  startsFile = path.join(workDir, "fault-starts.txt");
  station = await startTestStation({
    providers: [provider],
    config: {
      defaults: { chatModel: "fake/scripted" },
      pricing: { "fake/scripted": { inputPerMillion: 1000, outputPerMillion: 2000 } },
      mcp: {
        toolTimeoutMs: 3000,
        servers: [
          { id: "everything", command: process.execPath, args: [everythingBin, "stdio"] },
          { id: "files", command: process.execPath, args: [filesystemBin, workDir] },
          { id: "fault", command: process.execPath, args: [faultBin], env: { MCP_FAULT_STARTS: startsFile } },
        ],
      },
    },
  });
  // Start-up waits for first connection attempts only up to a cap; on a loaded machine, wait here.
  await waitUntil(
    () => station.station.mcp.servers().every((server) => server.state === "connected"),
    "every MCP server to connect",
    60_000,
  );
});

afterAll(async () => {
  await station?.close();
  rmSync(workDir, { recursive: true, force: true });
});

const chat = (body: Record<string, unknown>, onEvent?: ChatStreamOptions["onEvent"]) =>
  postChatStream(station.url, { client_id: "alice", ...body }, { onEvent });

function deltaText(result: ChatStreamResult): string {
  return eventsOf(result, "message.delta")
    .map((event) => event.content)
    .join("");
}

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${station.url}${url}`);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe("POST /api/chat/stream with real MCP servers over stdio", () => {
  it("connects every configured server and lists namespaced tools", async () => {
    const { body } = await getJson("/api/mcp/servers/");
    const servers = body.servers as Record<string, unknown>[];
    expect(servers.map((server) => [server.id, server.state, server.transport])).toEqual([
      ["everything", "connected", "stdio"],
      ["files", "connected", "stdio"],
      ["fault", "connected", "stdio"],
    ]);
    const tools = (await getJson("/api/mcp/servers/everything/tools")).body.tools as Record<string, unknown>[];
    expect(tools.map((tool) => tool.name)).toEqual(expect.arrayContaining(["everything__echo", "everything__get-sum"]));
    for (const tool of tools) expect(tool.name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
  });

  it("follows tools/list_changed from server-everything (it registers tools after initialisation)", async () => {
    await waitUntil(async () => {
      const servers = (await getJson("/api/mcp/servers/")).body.servers as Record<string, unknown>[];
      return Number(servers.find((server) => server.id === "everything")?.tool_list_changes) >= 1;
    }, "a tools/list_changed notification");
    // The task-only tool it adds is not offered to a model that calls tools directly.
    const tools = (await getJson("/api/mcp/servers/everything/tools")).body.tools as Record<string, unknown>[];
    expect(tools.map((tool) => tool.tool)).not.toContain("simulate-research-query");
  });

  it("runs the tool loop: tool call → MCP result → streamed final answer, every message stored", async () => {
    const before = provider.requests.length;
    const result = await chat({ message: "sum please" });
    expect(result.status).toBe(200);
    expect(result.contentType).toContain("text/event-stream");
    expect(result.events[0]?.event).toBe("session");
    expect(result.events.at(-1)?.event).toBe("done");
    const [started] = eventsOf(result, "tool_call.started");
    expect(started).toMatchObject({
      name: "everything__get-sum",
      server: "everything",
      tool: "get-sum",
      arguments: { a: 2, b: 3 },
      round: 0,
    });
    const [toolResult] = eventsOf(result, "tool_call.result");
    expect(toolResult).toMatchObject({ id: started?.id, content: "The sum of 2 and 3 is 5." });
    expect(deltaText(result)).toBe("Tool said: The sum of 2 and 3 is 5.");
    const done = eventsOf(result, "done")[0] as Record<string, unknown>;
    expect(done).toMatchObject({ finish_reason: "stop", rounds: 2, tool_calls: 1, content: "Tool said: The sum of 2 and 3 is 5." });
    expect(done.usage).toEqual({ prompt_tokens: 90, completion_tokens: 13, total_tokens: 103 });

    // The model was offered the namespaced tools and got the result back as a tool message.
    const [first, second] = provider.requests.slice(before);
    expect(first?.tools?.map((tool) => tool.name)).toEqual(
      expect.arrayContaining(["everything__get-sum", "files__read_text_file", "fault__echo"]),
    );
    expect(second?.messages.at(-1)).toMatchObject({ role: "tool", toolCallId: started?.id, content: "The sum of 2 and 3 is 5." });

    const session = eventsOf(result, "session")[0] as Record<string, unknown>;
    const stored = await getJson(`/api/chat/session/${session.session_id}`);
    expect(stored.status).toBe(200);
    const messages = stored.body.messages as Record<string, unknown>[];
    expect(messages.map((message) => message.role)).toEqual(["user", "assistant", "tool", "assistant"]);
    expect(messages[0]).toMatchObject({ id: session.user_message_id, content: "sum please" });
    expect(messages[1]?.tool_calls).toEqual([{ id: started?.id, name: "everything__get-sum", arguments: '{"a":2,"b":3}' }]);
    expect(messages[2]).toMatchObject({ tool_call_id: started?.id, content: "The sum of 2 and 3 is 5." });
    expect(messages[3]).toMatchObject({ id: done.message_id, content: "Tool said: The sum of 2 and 3 is 5." });

    const generation = await getJson(`/api/chat/generation/${session.generation_id}`);
    expect(generation.body).toMatchObject({
      status: "completed",
      model: "fake/scripted",
      rounds: 2,
      tool_calls: 1,
      usage: { prompt_tokens: 90, completion_tokens: 13, total_tokens: 103 },
      // 90 × $1000/M + 13 × $2000/M
      cost: { total_usd: 0.116, source: "config" },
    });
    expect(done.cost_usd).toBe(0.116);
  });

  it("reads a file through server-filesystem on a temp dir", async () => {
    const result = await chat({ message: "read my notes" });
    expect(eventsOf(result, "tool_call.result")[0]?.content).toBe("The secret is 1234");
    expect(deltaText(result)).toBe("Tool said: The secret is 1234");
  });

  it("runs independent tool calls in parallel and hands every result back", async () => {
    const before = provider.requests.length;
    const result = await chat({ message: "both" });
    const kinds = result.events.map((event) => event.event).filter((event) => event.startsWith("tool_call"));
    expect(kinds).toEqual(["tool_call.started", "tool_call.started", "tool_call.result", "tool_call.result"]);
    const followUp = provider.requests[before + 1] as ChatRequest;
    const toolMessages = followUp.messages.filter((message) => message.role === "tool").map(textOf);
    expect(toolMessages).toEqual(["The sum of 20 and 22 is 42.", "Echo: parallel"]);
    expect(deltaText(result)).toBe("Tool said: The sum of 20 and 22 is 42. | Echo: parallel");
  });

  it("continues a session with its history", async () => {
    const first = await chat({ message: "hello there" });
    const sessionId = eventsOf(first, "session")[0]?.session_id;
    const before = provider.requests.length;
    const second = await chat({ message: "and again", session_id: sessionId });
    expect(eventsOf(second, "session")[0]).toMatchObject({ session_id: sessionId, created: false });
    const history = (provider.requests[before] as ChatRequest).messages.map((message) => [message.role, textOf(message)]);
    expect(history).toEqual([
      ["user", "hello there"],
      ["assistant", "You said: hello there"],
      ["user", "and again"],
    ]);
  });

  it("turns a server that dies mid-call into a tool error the model sees, then reconnects", async () => {
    const result = await chat({ message: "crash now" });
    const [error] = eventsOf(result, "tool_call.error");
    expect(error).toMatchObject({ name: "fault__crash", code: "tool_unavailable" });
    expect(deltaText(result)).toContain("closed the connection");
    expect(result.events.at(-1)?.event).toBe("done");
    await waitUntil(async () => {
      const servers = (await getJson("/api/mcp/servers/")).body.servers as Record<string, unknown>[];
      return servers.find((server) => server.id === "fault")?.state === "connected";
    }, "the fault server to be restarted");
    expect(readFileSync(startsFile, "utf8").trim().split("\n")).toHaveLength(2);
    const again = await chat({ message: "echo" });
    expect(deltaText(again)).toBe("Tool said: echo: again");
  });

  it("turns a hanging tool into a timeout event, and the loop goes on to an answer", async () => {
    const result = await chat({ message: "hang forever" });
    const [error] = eventsOf(result, "tool_call.error");
    expect(error).toMatchObject({ name: "fault__hang", code: "tool_timeout" });
    expect(deltaText(result)).toBe("Tool said: Tool 'fault__hang' did not answer within 3000 ms.");
    expect(eventsOf(result, "done")[0]).toMatchObject({ finish_reason: "stop", rounds: 2 });
  });

  it("offers only the tools a client allows, and refuses the others if the model asks anyway", async () => {
    const put = await fetch(`${station.url}/api/mcp/preferences/bob`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ disabled_servers: ["files"], disabled_tools: ["everything__echo"] }),
    });
    expect(put.status).toBe(200);
    expect((await getJson("/api/mcp/preferences/bob")).body).toMatchObject({
      client_id: "bob",
      disabled_servers: ["files"],
      tools_enabled: true,
    });
    const before = provider.requests.length;
    const result = await postChatStream(station.url, { client_id: "bob", message: "forbidden" });
    const offered = provider.requests[before]?.tools?.map((tool) => tool.name) ?? [];
    expect(offered).toContain("everything__get-sum");
    expect(offered).not.toContain("everything__echo");
    expect(offered.some((name) => name.startsWith("files__"))).toBe(false);
    expect(eventsOf(result, "tool_call.error")[0]).toMatchObject({ name: "files__list_allowed_directories", code: "tool_not_allowed" });
    for (const bad of [{ disabled_tools: "everything__echo" }, { tools_enabled: "yes" }, { allowed_tools: [""] }, { surprise: true }]) {
      const refused = await fetch(`${station.url}/api/mcp/preferences/bob`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(bad),
      });
      expect(refused.status, JSON.stringify(bad)).toBe(400);
    }
    expect((await getJson("/api/mcp/preferences/bob")).body).toMatchObject({
      disabled_servers: ["files"],
      disabled_tools: ["everything__echo"],
    });
    const allowed = (await getJson("/api/mcp/tools?client_id=bob")).body.tools as Record<string, unknown>[];
    expect(allowed.some((tool) => tool.server_id === "files")).toBe(false);
  });

  it("stops the loop and aborts the model call when the client disconnects", async () => {
    const abortedBefore = provider.aborted;
    const requestsBefore = provider.requests.length;
    let generationId: unknown;
    const result = await chat({ message: "stall" }, (event) => {
      if (event.event === "session") generationId = event.data.generation_id;
      return event.event === "message.delta";
    });
    expect(result.events.map((event) => event.event)).toEqual(["session", "message.delta"]);
    await waitUntil(() => provider.aborted > abortedBefore, "the model call to be aborted");
    await waitUntil(
      async () => (await getJson(`/api/chat/generation/${generationId}`)).body.status === "cancelled",
      "the generation to be cancelled",
    );
    expect(provider.requests.length).toBe(requestsBefore + 1);
    const session = await getJson(`/api/chat/session/${result.events[0]?.data.session_id}`);
    expect(
      (session.body.messages as Record<string, unknown>[]).map((message) => [message.role, message.content, message.metadata]),
    ).toEqual([
      ["user", "stall", undefined],
      ["assistant", "Thinking", { partial: true, finish_reason: "cancelled" }],
    ]);
  });

  it("disables a server (its tools leave the catalog) and enables it again", async () => {
    const patch = (enabled: boolean) =>
      fetch(`${station.url}/api/mcp/servers/files`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ enabled }),
      });
    const disabled = await patch(false);
    expect(await disabled.json()).toMatchObject({ id: "files", enabled: false, state: "disabled", tool_count: 0 });
    expect(((await getJson("/api/mcp/tools")).body.tools as Record<string, unknown>[]).some((tool) => tool.server_id === "files")).toBe(
      false,
    );
    const enabled = await patch(true);
    expect(await enabled.json()).toMatchObject({ id: "files", enabled: true, state: "connected" });
    expect(
      ((await getJson("/api/mcp/tools")).body.tools as Record<string, unknown>[]).some((tool) => tool.name === "files__read_text_file"),
    ).toBe(true);
  });
});
