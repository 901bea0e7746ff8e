import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import type { Logger } from "../logging/create-logger.ts";
import { redactUrl } from "../net/url-not-allowed.ts";
import type { ConnectedMcpClient } from "./connect-mcp-client.ts";
import type { McpCallToolResult } from "./format-tool-result.ts";
import type { McpServerDefinition, McpServerState, McpServerStatus, McpWireTransport } from "./mcp-types.ts";

export interface McpBackoff {
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface McpConnectionOptions {
  definition: McpServerDefinition;
  connect(definition: McpServerDefinition, signal: AbortSignal): Promise<ConnectedMcpClient>;
  logger: Logger;
  backoff: McpBackoff;
  /** Called whenever this server's tool list (or availability) changed. */
  onToolsChanged(): void;
  /** How often a connected HTTP server is pinged to notice that it went away (default 30 s). */
  healthCheckIntervalMs?: number;
}

export interface McpConnection {
  readonly id: string;
  readonly definition: McpServerDefinition;
  status(): Omit<McpServerStatus, "toolCount">;
  /** The server's tools while connected; empty otherwise. */
  tools(): Tool[];
  /** Starts connecting; resolves after the first attempt, successful or not (retries go on in the background). */
  start(): Promise<void>;
  /** Connects now if not connected (skipping the backoff wait), else re-lists the tools. */
  refresh(): Promise<void>;
  callTool(name: string, args: Record<string, unknown>, options: { timeoutMs: number; signal?: AbortSignal }): Promise<McpCallToolResult>;
  setEnabled(enabled: boolean): Promise<void>;
  close(): Promise<void>;
}

/** Keeps one MCP server connected: connect with backoff, reconnect after a drop, follow tools/list_changed. */
export function createMcpConnection(options: McpConnectionOptions): McpConnection {
  const { definition, logger } = options;
  let enabled = definition.enabled;
  let state: McpServerState = enabled ? "disconnected" : "disabled";
  let current: ConnectedMcpClient | undefined;
  let tools: Tool[] = [];
  let wire: McpWireTransport | null = null;
  let lastError: string | null = null;
  let connectedAt: number | null = null;
  let attempts = 0;
  let toolListChanges = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  let healthTimer: NodeJS.Timeout | undefined;
  let attemptController: AbortController | undefined;
  let attempt: Promise<void> | undefined;
  let closed = false;

  const setTools = (next: Tool[]): void => {
    tools = next;
    options.onToolsChanged();
  };

  const listAllTools = async (client: Client): Promise<Tool[]> => {
    const all: Tool[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor });
      all.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    return all;
  };

  const scheduleRetry = (): void => {
    if (closed || !enabled || retryTimer !== undefined) return;
    const exponential = options.backoff.baseDelayMs * 2 ** Math.min(attempts - 1, 16);
    const delay = Math.min(options.backoff.maxDelayMs, exponential) * (0.8 + Math.random() * 0.4);
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connectOnce();
    }, delay);
    retryTimer.unref();
  };

  const dropClient = async (): Promise<void> => {
    clearInterval(healthTimer);
    healthTimer = undefined;
    const previous = current;
    current = undefined;
    wire = null;
    connectedAt = null;
    if (tools.length > 0) setTools([]);
    if (previous !== undefined) {
      previous.client.onclose = undefined;
      await previous.client.close().catch(() => {});
    }
  };

  const handleDrop = (reason: string): void => {
    if (closed || state !== "connected") return;
    logger.warn({ mcpServer: definition.id, reason }, "MCP server connection lost; reconnecting");
    lastError = reason;
    state = "disconnected";
    void dropClient();
    attempts = 1;
    scheduleRetry();
  };

  const connectOnce = (): Promise<void> => {
    if (attempt !== undefined) return attempt;
    if (closed || !enabled || state === "connected") return Promise.resolve();
    attempt = (async () => {
      state = "connecting";
      attempts++;
      attemptController = new AbortController();
      try {
        // Imported with the first connection, like the rest of the SDK (see create-mcp-registry), and
        // before connecting: a server may announce tools/list_changed right after initialisation, and
        // an await between connect and setNotificationHandler would let that notification go unheard.
        const { ToolListChangedNotificationSchema } = await import("@modelcontextprotocol/sdk/types.js");
        const connected = await options.connect(definition, attemptController.signal);
        if (closed || !enabled) {
          await connected.client.close().catch(() => {});
          return;
        }
        connected.client.setNotificationHandler(ToolListChangedNotificationSchema, async () => {
          toolListChanges++;
          if (current !== connected) return;
          try {
            setTools(await listAllTools(connected.client));
          } catch (error) {
            logger.warn({ mcpServer: definition.id, err: error }, "re-listing MCP tools failed");
          }
        });
        connected.client.onclose = () => handleDrop("connection closed");
        const listed = await listAllTools(connected.client);
        current = connected;
        wire = connected.wire;
        state = "connected";
        connectedAt = Date.now();
        lastError = null;
        attempts = 0;
        setTools(listed);
        // A stdio server's exit closes the transport at once; an HTTP server can vanish silently.
        if (connected.wire !== "stdio") {
          healthTimer = setInterval(() => void checkAlive(), options.healthCheckIntervalMs ?? 30_000);
          healthTimer.unref();
        }
        logger.info({ mcpServer: definition.id, transport: wire, tools: listed.length }, "MCP server connected");
      } catch (error) {
        lastError = describe(error);
        state = enabled ? "disconnected" : "disabled";
        logger.warn({ mcpServer: definition.id, attempt: attempts, reason: lastError }, "MCP server connection failed");
        scheduleRetry();
      } finally {
        attemptController = undefined;
        attempt = undefined;
      }
    })();
    return attempt;
  };

  /** A failed call may mean the server is gone (HTTP servers have no socket to watch): ping to find out. */
  const checkAlive = async (): Promise<void> => {
    const connected = current;
    if (connected === undefined) return;
    try {
      await connected.client.ping({ timeout: 2_000 });
    } catch (error) {
      if (current === connected) handleDrop(`server stopped answering: ${describe(error)}`);
    }
  };

  return {
    id: definition.id,
    definition,
    status: () => ({
      id: definition.id,
      source: definition.source,
      kind: definition.transport.kind,
      target: targetOf(definition),
      enabled,
      state,
      transport: wire,
      serverInfo: current?.client.getServerVersion() === undefined ? null : pickInfo(current.client.getServerVersion()),
      lastError,
      connectedAt,
      attempts,
      toolListChanges,
    }),
    tools: () => tools,
    start: () => connectOnce(),
    async refresh() {
      if (!enabled || closed) return;
      if (current === undefined) {
        clearTimeout(retryTimer);
        retryTimer = undefined;
        // A background retry may have started while the server was still down and be about to
        // fail: a refresh asked for now must not answer with that attempt's result.
        if (attempt !== undefined) {
          await attempt;
          clearTimeout(retryTimer);
          retryTimer = undefined;
        }
        await connectOnce();
        return;
      }
      const connected = current;
      try {
        setTools(await listAllTools(connected.client));
      } catch (error) {
        lastError = describe(error);
        await checkAlive();
      }
    },
    async callTool(name, args, callOptions) {
      const connected = current;
      const { ErrorCode, McpError } = await import("@modelcontextprotocol/sdk/types.js");
      if (connected === undefined) throw new McpError(ErrorCode.ConnectionClosed, `MCP server '${definition.id}' is not connected`);
      try {
        return (await connected.client.callTool({ name, arguments: args }, undefined, {
          timeout: callOptions.timeoutMs,
          ...(callOptions.signal === undefined ? {} : { signal: callOptions.signal }),
        })) as McpCallToolResult;
      } catch (error) {
        const isProtocolAnswer =
          error instanceof McpError && error.code !== ErrorCode.ConnectionClosed && error.code !== ErrorCode.RequestTimeout;
        if (!isProtocolAnswer && !callOptions.signal?.aborted) void checkAlive();
        throw error;
      }
    },
    async setEnabled(next) {
      if (next === enabled) return;
      enabled = next;
      if (enabled) {
        state = "disconnected";
        attempts = 0;
        await connectOnce();
        return;
      }
      state = "disabled";
      clearTimeout(retryTimer);
      retryTimer = undefined;
      attemptController?.abort();
      await dropClient();
      lastError = null;
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      attemptController?.abort();
      await dropClient();
    },
  };
}

/** What the API shows as a server's target: secrets in URLs and in arguments are blanked. */
function targetOf(definition: McpServerDefinition): string {
  const spec = definition.transport;
  if (spec.kind === "stdio") return [spec.command, ...redactArguments(spec.args)].join(" ");
  if (spec.kind === "http") return redactUrl(spec.url);
  return spec.label;
}

const secretFlag = /(key|token|secret|password|passwd|auth|credential)/i;

function redactArguments(args: string[]): string[] {
  return args.map((arg, index) => {
    const assignment = /^(--?[^=]+)=(.*)$/.exec(arg);
    if (assignment !== null && secretFlag.test(assignment[1] as string)) return `${assignment[1]}=[redacted]`;
    const previous = args[index - 1];
    if (previous?.startsWith("-") && !previous.includes("=") && secretFlag.test(previous)) return "[redacted]";
    return arg;
  });
}

function pickInfo(info: { name: string; version: string } | undefined): { name: string; version: string } | null {
  return info === undefined ? null : { name: info.name, version: info.version };
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message.slice(0, 500);
  return String(error).slice(0, 500);
}
