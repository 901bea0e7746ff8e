import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { getDefaultEnvironment, StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { FetchLike, Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { Logger } from "../logging/create-logger.ts";
import type { McpServerDefinition, McpWireTransport } from "./mcp-types.ts";

export interface ConnectMcpClientOptions {
  clientInfo: { name: string; version: string };
  connectTimeoutMs: number;
  logger: Logger;
  /** Fetch for HTTP transports (the SSRF-guarded one for servers added through the API). */
  fetch?: FetchLike;
  signal?: AbortSignal;
}

export interface ConnectedMcpClient {
  client: Client;
  transport: Transport;
  wire: McpWireTransport;
}

/**
 * Opens one MCP session. HTTP servers are tried with Streamable HTTP first and fall back to the
 * legacy HTTP+SSE transport (2024-11-05) when that fails, as the MCP spec's backwards
 * compatibility section recommends; a URL ending in /sse goes straight to SSE.
 */
export async function connectMcpClient(definition: McpServerDefinition, options: ConnectMcpClientOptions): Promise<ConnectedMcpClient> {
  const spec = definition.transport;
  if (spec.kind === "stdio") {
    const transport = new StdioClientTransport({
      command: spec.command,
      args: spec.args,
      env: { ...getDefaultEnvironment(), ...(spec.env ?? {}) },
      ...(spec.cwd === undefined ? {} : { cwd: spec.cwd }),
      stderr: "pipe",
    });
    // Servers log to stderr; keep it out of our stdout but available at debug level.
    transport.stderr?.on("data", (chunk: Buffer) =>
      options.logger.debug({ mcpServer: definition.id, stderr: chunk.toString() }, "mcp stderr"),
    );
    return { client: await initialize(transport, options), transport, wire: "stdio" };
  }
  if (spec.kind === "custom") {
    const transport = await spec.createTransport();
    return { client: await initialize(transport, options), transport, wire: "custom" };
  }
  const url = new URL(spec.url);
  const requestInit: RequestInit = spec.headers === undefined ? {} : { headers: spec.headers };
  const transportOptions = { requestInit, ...(options.fetch === undefined ? {} : { fetch: options.fetch }) };
  if (!url.pathname.endsWith("/sse")) {
    const streamable = new StreamableHTTPClientTransport(url, transportOptions);
    try {
      return { client: await initialize(streamable, options), transport: streamable, wire: "streamable-http" };
    } catch (error) {
      if (options.signal?.aborted) throw error;
      options.logger.debug({ mcpServer: definition.id, err: error }, "streamable HTTP failed, trying legacy SSE");
      try {
        const legacy = new SSEClientTransport(url, transportOptions);
        return { client: await initialize(legacy, options), transport: legacy, wire: "sse" };
      } catch {
        throw error;
      }
    }
  }
  const legacy = new SSEClientTransport(url, transportOptions);
  return { client: await initialize(legacy, options), transport: legacy, wire: "sse" };
}

async function initialize(transport: Transport, options: ConnectMcpClientOptions): Promise<Client> {
  const client = new Client(options.clientInfo, { capabilities: {} });
  try {
    await client.connect(transport, {
      timeout: options.connectTimeoutMs,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  } catch (error) {
    await client.close().catch(() => {});
    throw error;
  }
  return client;
}
