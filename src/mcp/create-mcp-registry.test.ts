import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { createInMemoryMcpServer, waitUntil } from "../../test/support/mcp-in-memory-server.ts";
import { parseConfig } from "../config/load-config.ts";
import { createLogger } from "../logging/create-logger.ts";
import { type Database, openDatabase } from "../storage/database.ts";
import { migrate } from "../storage/migrate.ts";
import { createMcpRegistry } from "./create-mcp-registry.ts";
import type { McpRegistry } from "./mcp-registry.ts";
import { createMcpServerStore } from "./mcp-server-store.ts";
import type { McpServerDefinition } from "./mcp-types.ts";

let database: Database;
let registry: McpRegistry | undefined;

async function startRegistry(servers: McpServerDefinition[], mcp: Record<string, unknown> = {}): Promise<McpRegistry> {
  database = openDatabase(":memory:");
  await migrate(database);
  const config = parseConfig({ providers: [], mcp }, "test");
  registry = createMcpRegistry({
    config: config.mcp,
    allowPrivateNetworks: false,
    store: createMcpServerStore(database.kysely),
    logger: createLogger("silent"),
    clientInfo: { name: "station-test", version: "0" },
    servers,
    backoff: { baseDelayMs: 10, maxDelayMs: 50 },
  });
  await registry.start();
  return registry;
}

afterEach(async () => {
  await registry?.close();
  registry = undefined;
  await database?.close();
});

const echoServer = (id: string) =>
  createInMemoryMcpServer(id, (server) => {
    server.registerTool("echo", { description: "Echo", inputSchema: { text: z.string() } }, async ({ text }) => ({
      content: [{ type: "text", text: `${id}:${text}` }],
    }));
  });

describe("MCP registry over the SDK's in-memory transport", () => {
  it("namespaces tools so two servers with the same tool name never collide", async () => {
    const mcp = await startRegistry([echoServer("alpha").definition, echoServer("beta").definition]);
    const names = mcp.catalog().map((tool) => tool.name);
    expect(names).toEqual(["alpha__echo", "beta__echo"]);
    expect(await mcp.callTool("beta__echo", JSON.stringify({ text: "hi" }))).toMatchObject({ isError: false, text: "beta:hi" });
    expect(await mcp.callTool("alpha__echo", JSON.stringify({ text: "hi" }))).toMatchObject({ isError: false, text: "alpha:hi" });
    expect(mcp.servers().map((server) => [server.id, server.state, server.toolCount])).toEqual([
      ["alpha", "connected", 1],
      ["beta", "connected", 1],
    ]);
  });

  it("follows notifications/tools/list_changed", async () => {
    const server = echoServer("live");
    const mcp = await startRegistry([server.definition]);
    expect(mcp.catalog().map((tool) => tool.name)).toEqual(["live__echo"]);
    server.current?.registerTool("late", { description: "added later" }, async () => ({ content: [{ type: "text", text: "late!" }] }));
    await waitUntil(() => mcp.catalog().some((tool) => tool.name === "live__late"), "the new tool");
    expect(mcp.server("live")?.toolListChanges).toBeGreaterThanOrEqual(1);
    expect(await mcp.callTool("live__late", "{}")).toMatchObject({ isError: false, text: "late!" });
  });

  it("turns a hanging tool into a timeout outcome and keeps the server usable", async () => {
    const server = createInMemoryMcpServer("slow", (mcp) => {
      mcp.registerTool("hang", {}, () => new Promise(() => {}));
      mcp.registerTool("ok", {}, async () => ({ content: [{ type: "text", text: "fine" }] }));
    });
    const mcp = await startRegistry([server.definition], { toolTimeoutMs: 200 });
    const outcome = await mcp.callTool("slow__hang", "{}");
    expect(outcome).toMatchObject({ isError: true, errorCode: "tool_timeout" });
    expect(await mcp.callTool("slow__ok", "{}")).toMatchObject({ isError: false, text: "fine" });
  });

  it("cuts results at mcp.maxResultBytes and reports tool errors, bad arguments and unknown tools", async () => {
    const server = createInMemoryMcpServer("big", (mcp) => {
      mcp.registerTool("big", {}, async () => ({ content: [{ type: "text", text: "é".repeat(5000) }] }));
      mcp.registerTool("fails", {}, async () => ({ content: [{ type: "text", text: "disk on fire" }], isError: true }));
      mcp.registerTool("typed", { inputSchema: { n: z.number() } }, async ({ n }) => ({ content: [{ type: "text", text: String(n) }] }));
    });
    const mcp = await startRegistry([server.definition], { maxResultBytes: 1000 });
    const big = await mcp.callTool("big__big", "{}");
    expect(big.truncated).toBe(true);
    expect(Buffer.byteLength(big.text.split("\n[truncated")[0] as string)).toBeLessThanOrEqual(1000);
    expect(big.text).toContain("[truncated: 9000 of 10000 bytes omitted]");
    expect(await mcp.callTool("big__fails", "{}")).toMatchObject({ isError: true, text: "disk on fire" });
    expect(await mcp.callTool("big__typed", "{not json")).toMatchObject({ isError: true, errorCode: "invalid_arguments" });
    const wrongType = await mcp.callTool("big__typed", JSON.stringify({ n: "x" }));
    expect(wrongType.isError).toBe(true);
    expect(await mcp.callTool("nobody__nothing", "{}")).toMatchObject({ isError: true, errorCode: "tool_not_found" });
  });

  it("reconnects after the server drops the connection, with backoff while it is down", async () => {
    const server = echoServer("flaky");
    const mcp = await startRegistry([server.definition]);
    server.refuse = true;
    await server.drop();
    await waitUntil(() => mcp.server("flaky")?.state !== "connected", "the drop to be noticed");
    expect(mcp.catalog()).toEqual([]);
    await waitUntil(() => (mcp.server("flaky")?.attempts ?? 0) >= 2, "retries while down");
    expect(mcp.server("flaky")?.lastError).toContain("is down");
    server.refuse = false;
    await waitUntil(() => mcp.server("flaky")?.state === "connected", "the reconnect");
    expect(server.sessions).toBe(2);
    expect(await mcp.callTool("flaky__echo", JSON.stringify({ text: "back" }))).toMatchObject({ text: "flaky:back" });
  });

  it("a refresh made while a background retry that will fail is in flight connects anew", async () => {
    const server = echoServer("flaky");
    const transport = server.definition.transport as { createTransport: () => Promise<unknown> };
    const open = transport.createTransport;
    let calls = 0;
    let releaseRetry = (): void => {};
    let retryStarted = (): void => {};
    const retryInFlight = new Promise<void>((resolve) => {
      retryStarted = resolve;
    });
    transport.createTransport = async () => {
      calls++;
      if (calls === 1) throw new Error("down");
      if (calls === 2) {
        retryStarted();
        await new Promise<void>((resolve) => {
          releaseRetry = resolve;
        });
        throw new Error("still down when this retry began");
      }
      return open();
    };
    const mcp = await startRegistry([server.definition]);
    await retryInFlight;
    const refreshing = mcp.refresh("flaky");
    releaseRetry();
    expect((await refreshing)[0]).toMatchObject({ id: "flaky", state: "connected", toolCount: 1 });
    expect(calls).toBe(3);
  });

  it("disables and re-enables a server", async () => {
    const server = echoServer("toggle");
    const mcp = await startRegistry([server.definition]);
    expect((await mcp.setEnabled("toggle", false)).state).toBe("disabled");
    expect(mcp.catalog()).toEqual([]);
    expect(await mcp.callTool("toggle__echo", "{}")).toMatchObject({ errorCode: "tool_not_found" });
    const enabled = await mcp.setEnabled("toggle", true);
    expect(enabled).toMatchObject({ state: "connected", enabled: true, toolCount: 1 });
    expect(() => mcp.serverTools("missing")).toThrow(/was not found/);
  });

  it("never shows secrets in a server's target", async () => {
    const registry = await startRegistry([], {
      servers: [
        { id: "cli", command: "tool-server", args: ["--api-key", "sk-live-1", "--token=abc", "--port", "8080"], enabled: false },
        { id: "web", url: "https://user:pass@mcp.example.com/mcp?token=xyz", enabled: false },
      ],
    });
    const targets = registry.servers().map((server) => server.target);
    expect(targets).toEqual(["tool-server --api-key [redacted] --token=[redacted] --port 8080", "https://mcp.example.com/mcp"]);
    expect(registry.servers().map((server) => server.state)).toEqual(["disabled", "disabled"]);
  });
});
