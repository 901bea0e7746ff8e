import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatRequest } from "../src/providers/spec/index.ts";
import { createScriptedChatProvider, lastMessage, type ScriptedReply, textOf } from "./support/chat-scripted-provider.ts";
import { eventsOf, postChatStream } from "./support/chat-sse-client.ts";
import { type McpHttpServerProcess, startEverythingHttpServer } from "./support/mcp-http-server-process.ts";
import { waitUntil } from "./support/mcp-in-memory-server.ts";
import { startTestStation, type TestStation } from "./support/start-test-station.ts";
import { freePort } from "./support/station-process.ts";

let streamable: McpHttpServerProcess;
let legacy: McpHttpServerProcess;
let closedPort: number;
let station: TestStation;

/** The fake model calls `<server>__get-sum` for "sum via <server>", then answers with the result. */
function script(request: ChatRequest): ScriptedReply {
  const last = lastMessage(request);
  if (last?.role === "tool") return { text: `Result: ${textOf(last)}` };
  const server = /^sum via (\S+)/.exec(textOf(last))?.[1];
  if (server !== undefined) return { toolCalls: [{ name: `${server}__get-sum`, arguments: { a: 1, b: 41 } }] };
  return { text: "no tools needed" };
}
const provider = createScriptedChatProvider("fake", script);

async function api(method: string, url: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${station.url}${url}`, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const serverIds = async () =>
  ((await api("GET", "/api/mcp/servers/")).body.servers as Record<string, unknown>[]).map((server) => server.id);

beforeAll(async () => {
  [streamable, legacy, closedPort] = await Promise.all([
    startEverythingHttpServer("streamableHttp"),
    startEverythingHttpServer("sse"),
    freePort(),
  ]);
  station = await startTestStation({
    providers: [provider],
    config: {
      defaults: { chatModel: "fake/scripted" },
      mcp: {
        servers: [{ id: "remote", url: streamable.url }],
        discover: { hosts: ["127.0.0.1"], ports: [streamable.port, legacy.port, closedPort], paths: ["/mcp", "/sse"] },
      },
    },
  });
  await waitUntil(() => station.station.mcp.servers().every((server) => server.state === "connected"), "the MCP server to connect", 60_000);
});

afterAll(async () => {
  await station?.close();
  await Promise.all([streamable?.kill(), legacy?.kill()]);
});

describe("MCP over HTTP with server-everything in a child process", () => {
  it("connects a configured Streamable HTTP server and runs its tools in the chat loop", async () => {
    const servers = (await api("GET", "/api/mcp/servers/")).body.servers as Record<string, unknown>[];
    expect(servers[0]).toMatchObject({ id: "remote", state: "connected", transport: "streamable-http", kind: "http" });
    expect(Number(servers[0]?.tool_count)).toBeGreaterThan(5);
    const result = await postChatStream(station.url, { client_id: "http-user", message: "sum via remote" });
    expect(eventsOf(result, "tool_call.result")[0]).toMatchObject({ name: "remote__get-sum", content: "The sum of 1 and 41 is 42." });
    expect(eventsOf(result, "done")[0]).toMatchObject({ content: "Result: The sum of 1 and 41 is 42." });
  });

  it("refuses API-added URLs on private addresses (SSRF guard) and commands, changing nothing", async () => {
    const before = await serverIds();
    const privateUrl = await api("POST", "/api/mcp/servers/connect", { url: legacy.url });
    expect(privateUrl.status).toBe(400);
    expect(privateUrl.body.error).toMatchObject({ code: "url_not_allowed", param: "url" });
    const command = await api("POST", "/api/mcp/servers/connect", { url: legacy.url, command: "rm", args: ["-rf", "/"] });
    expect(command.status).toBe(400);
    expect(command.body.error).toMatchObject({ code: "stdio_not_allowed" });
    const ftp = await api("POST", "/api/mcp/servers/connect", { url: "ftp://example.com/mcp" });
    expect(ftp.status).toBe(400);
    const missing = await api("POST", "/api/mcp/servers/connect", {});
    expect(missing.status).toBe(400);
    expect(await serverIds()).toEqual(before);
  });

  it("discovers MCP endpoints on the configured hosts and ports", async () => {
    const { status, body } = await api("POST", "/api/mcp/servers/discover", {});
    expect(status).toBe(200);
    const found = body.servers as Record<string, unknown>[];
    expect(found).toHaveLength(2);
    expect(found).toContainEqual(expect.objectContaining({ url: streamable.url, transport: "streamable-http", registered_as: "remote" }));
    expect(found).toContainEqual(expect.objectContaining({ url: legacy.url, transport: "sse", registered_as: null }));
    expect(found.some((server) => String(server.url).includes(String(closedPort)))).toBe(false);
  });

  it("notices an HTTP server that went away and reconnects once it is back", async () => {
    const port = streamable.port;
    await streamable.kill();
    const failed = await postChatStream(station.url, { client_id: "http-user", message: "sum via remote" });
    expect(eventsOf(failed, "tool_call.error")[0]).toMatchObject({ name: "remote__get-sum", code: "tool_unavailable" });
    expect(eventsOf(failed, "done")).toHaveLength(1);
    await waitUntil(async () => {
      const servers = (await api("GET", "/api/mcp/servers/")).body.servers as Record<string, unknown>[];
      return servers[0]?.state !== "connected";
    }, "the drop to be noticed");
    streamable = await startEverythingHttpServer("streamableHttp", port);
    const refreshed = await api("POST", "/api/mcp/servers/refresh", { id: "remote" });
    expect((refreshed.body.servers as Record<string, unknown>[])[0]).toMatchObject({ id: "remote", state: "connected" });
    const again = await postChatStream(station.url, { client_id: "http-user", message: "sum via remote" });
    expect(eventsOf(again, "tool_call.result")[0]).toMatchObject({ content: "The sum of 1 and 41 is 42." });
  });
});

describe("adding servers through the API when private networks are allowed", () => {
  it("falls back to the legacy HTTP+SSE transport, and the server survives a restart", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "station-mcp-api-"));
    const config = { defaults: { chatModel: "fake/scripted" }, security: { allowPrivateNetworks: true } };
    let open = await startTestStation({ providers: [provider], config, dataDir });
    try {
      // "/sse/" is not ".../sse": Station tries Streamable HTTP first, the server refuses, and it falls back.
      const response = await fetch(`${open.url}/api/mcp/servers/connect`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ url: `${legacy.url}/`, id: "legacy" }),
      });
      expect(response.status).toBe(201);
      expect(await response.json()).toMatchObject({ id: "legacy", source: "api", state: "connected", transport: "sse" });
      // A URL where nothing speaks MCP is refused and leaves nothing behind.
      const nothingThere = await fetch(`${open.url}/api/mcp/servers/connect`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ url: `http://127.0.0.1:${closedPort}/mcp` }),
      });
      expect(nothingThere.status).toBe(502);
      expect(await nothingThere.json()).toMatchObject({ error: { code: "mcp_connect_failed", param: "url" } });
      expect(((await (await fetch(`${open.url}/api/mcp/servers/`)).json()) as { servers: unknown[] }).servers).toHaveLength(1);
      const duplicate = await fetch(`${open.url}/api/mcp/servers/connect`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ url: `${legacy.url}/`, id: "legacy" }),
      });
      expect(duplicate.status).toBe(409);
      const result = await postChatStream(open.url, { client_id: "api-user", message: "sum via legacy" });
      expect(eventsOf(result, "tool_call.result")[0]).toMatchObject({ name: "legacy__get-sum", content: "The sum of 1 and 41 is 42." });

      await open.close({ keepDataDir: true });
      open = await startTestStation({ providers: [provider], config, dataDir });
      const servers = (await (await fetch(`${open.url}/api/mcp/servers/`)).json()) as { servers: Record<string, unknown>[] };
      expect(servers.servers).toEqual([expect.objectContaining({ id: "legacy", source: "api", state: "connected", transport: "sse" })]);

      // Disabling is remembered across a restart too.
      const patched = await fetch(`${open.url}/api/mcp/servers/legacy`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ enabled: false }),
      });
      expect(await patched.json()).toMatchObject({ state: "disabled" });
      expect(
        (
          await fetch(`${open.url}/api/mcp/servers/legacy`, {
            method: "PATCH",
            headers: { "content-type": "application/json" },
            body: "{}",
          })
        ).status,
      ).toBe(400);
      expect(
        (
          await fetch(`${open.url}/api/mcp/servers/ghost`, {
            method: "PATCH",
            headers: { "content-type": "application/json" },
            body: '{"enabled":true}',
          })
        ).status,
      ).toBe(404);
      await open.close({ keepDataDir: true });
      open = await startTestStation({ providers: [provider], config, dataDir });
      const after = (await (await fetch(`${open.url}/api/mcp/servers/`)).json()) as { servers: Record<string, unknown>[] };
      expect(after.servers).toEqual([expect.objectContaining({ id: "legacy", enabled: false, state: "disabled", tool_count: 0 })]);
    } finally {
      await open.close({ keepDataDir: true });
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
