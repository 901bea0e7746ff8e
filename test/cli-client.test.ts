import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { createScriptedChatProvider, lastMessage, textOf } from "./support/chat-scripted-provider.ts";
import { createInMemoryMcpServer } from "./support/mcp-in-memory-server.ts";
import { startTestStation, type TestStation } from "./support/start-test-station.ts";
import { runStation } from "./support/station-process.ts";
import { createVisionFakeChatProvider } from "./support/vision-fake-chat-provider.ts";
import { solidPng } from "./support/vision-images.ts";

/** The client commands (`chat`, `caption`, `mcp`) as child processes against a started Station. */
describe("bin/station client commands", () => {
  let station: TestStation;
  const calculator = createInMemoryMcpServer("calc", (server) => {
    server.registerTool("add", { description: "Add two numbers", inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
      content: [{ type: "text", text: String(a + b) }],
    }));
  });
  const model = createScriptedChatProvider("fake", (request) =>
    lastMessage(request)?.role === "tool"
      ? { text: `The sum is ${textOf(lastMessage(request))}.` }
      : { toolCalls: [{ name: "calc__add", arguments: { a: 2, b: 40 } }] },
  );

  beforeAll(async () => {
    station = await startTestStation({
      providers: [model, createVisionFakeChatProvider("eyes")],
      mcpServers: [calculator.definition],
      config: { server: { apiKeys: ["cli-key"] }, defaults: { chatModel: "fake/scripted", visionModel: "eyes/seer" } },
    });
  });
  afterAll(async () => station.close());

  const run = async (args: string[]) => {
    const child = runStation([...args, "--url", station.url, "--api-key", "cli-key"]);
    const code = await child.exited;
    return { code, output: child.output() };
  };

  it("chat runs one turn with the server-side tool loop and prints the answer", async () => {
    const { code, output } = await run(["chat", "what", "is", "2+40?"]);
    expect(code).toBe(0);
    expect(output).toContain("[tool calc__add");
    expect(output).toContain("The sum is 42.");
    const sessions = (await (
      await fetch(`${station.url}/api/chat/sessions?client_id=cli`, { headers: { authorization: "Bearer cli-key" } })
    ).json()) as { sessions: unknown[] };
    expect(sessions.sessions).toHaveLength(1);
  });

  it("caption streams a caption of an image file, and --question asks about it", async () => {
    const file = path.join(station.dataDir, "red.png");
    writeFileSync(file, await solidPng(32, 24));
    const caption = await run(["caption", file]);
    expect(caption.code).toBe(0);
    expect(caption.output).toMatch(/seer saw a image\/\w+ of \d+ bytes/);
    const query = await run(["caption", file, "--question", "what colour is it?"]);
    expect(query.code).toBe(0);
    expect(query.output).toContain("what colour is it?");
  });

  it("mcp servers and mcp tools list what the server sees", async () => {
    const servers = await run(["mcp", "servers"]);
    expect(servers.code).toBe(0);
    expect(servers.output).toMatch(/calc\s+connected\s+1 tools/);
    const tools = await run(["mcp", "tools", "calc"]);
    expect(tools.output).toContain("calc__add  Add two numbers");
  });

  it("reports a refused key and an unreachable server clearly, exit 1", async () => {
    const refused = runStation(["mcp", "servers", "--url", station.url, "--api-key", "wrong"]);
    expect(await refused.exited).toBe(1);
    expect(refused.output()).toMatch(/401 invalid_api_key/);
    const unreachable = runStation(["chat", "hi", "--url", "http://127.0.0.1:9", "--api-key", "x"]);
    expect(await unreachable.exited).toBe(1);
    expect(unreachable.output()).toMatch(/cannot reach Station at http:\/\/127\.0\.0\.1:9/);
  });
});
