import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { McpServerConfig, StationConfig } from "../config/schema.ts";
import { errors } from "../errors/errors.ts";
import { StationError } from "../errors/station-error.ts";
import type { Logger } from "../logging/create-logger.ts";
import { assertPublicUrl } from "../net/assert-public-url.ts";
import { createGuardedFetch, type GuardedFetch } from "../net/create-guarded-fetch.ts";
import { redactUrl } from "../net/url-not-allowed.ts";
import { discoverMcpServers } from "./discover-mcp-servers.ts";
import { formatToolResult, truncateUtf8 } from "./format-tool-result.ts";
import type { McpChangeFeed } from "./mcp-change-feed.ts";
import { createMcpConnection, type McpBackoff, type McpConnection } from "./mcp-connection.ts";
import type { McpRegistry } from "./mcp-registry.ts";
import type { McpServerStore } from "./mcp-server-store.ts";
import { namespaceToolName } from "./mcp-tool-name.ts";
import type { CatalogTool, McpServerDefinition, McpServerStatus, ToolCallOutcome } from "./mcp-types.ts";

export interface McpRegistryOptions {
  config: StationConfig["mcp"];
  allowPrivateNetworks: boolean;
  store: McpServerStore;
  logger: Logger;
  clientInfo: { name: string; version: string };
  /** Servers defined in code (tests add in-memory ones), after the configured ones. */
  servers?: McpServerDefinition[];
  backoff?: McpBackoff;
  /** How long one connection attempt (initialize + tools/list) may take. */
  connectTimeoutMs?: number;
  /**
   * Shared mode: re-read the stored servers this often, so a server added or toggled through
   * another instance's API is connected (or disabled) here too. Absent: only this process writes them.
   * With `changes` it is only the safety net for an announcement that was lost.
   */
  syncIntervalMs?: number;
  /** Shared mode: announces this instance's changes to the stored servers and hears the others'. */
  changes?: McpChangeFeed;
}

const serverIdPattern = /^[A-Za-z0-9_-]{1,48}$/;

export function createMcpRegistry(options: McpRegistryOptions): McpRegistry {
  const { config, logger } = options;
  const connections = new Map<string, McpConnection>();
  const listeners = new Set<() => void>();
  const backoff = options.backoff ?? { baseDelayMs: 500, maxDelayMs: 30_000 };
  const connectTimeoutMs = options.connectTimeoutMs ?? config.connectTimeoutMs;
  // Servers added through the API reach user-supplied URLs: every request goes through the SSRF guard.
  const guardedFetch: GuardedFetch = createGuardedFetch({ allowPrivateNetworks: options.allowPrivateNetworks, param: "url" });
  let catalogCache: CatalogTool[] | undefined;

  const fetchFor = (definition: McpServerDefinition): FetchLike | undefined =>
    definition.source === "api" ? (guardedFetch as unknown as FetchLike) : undefined;

  // The MCP SDK is imported when the first server connects: a Station without MCP servers never loads it.
  const connect = async (definition: McpServerDefinition, signal: AbortSignal) =>
    (await import("./connect-mcp-client.ts")).connectMcpClient(definition, {
      clientInfo: options.clientInfo,
      connectTimeoutMs,
      logger,
      signal,
      ...(fetchFor(definition) === undefined ? {} : { fetch: fetchFor(definition) }),
    });

  const catalogChanged = (): void => {
    catalogCache = undefined;
    for (const listener of listeners) listener();
  };

  const add = (definition: McpServerDefinition): McpConnection => {
    const connection = createMcpConnection({ definition, connect, logger, backoff, onToolsChanged: catalogChanged });
    connections.set(definition.id, connection);
    catalogChanged();
    return connection;
  };

  const statusOf = (connection: McpConnection): McpServerStatus => ({ ...connection.status(), toolCount: connection.tools().length });

  const buildCatalog = (): CatalogTool[] => {
    const taken = new Set<string>();
    const catalog: CatalogTool[] = [];
    for (const connection of connections.values()) {
      for (const tool of connection.tools()) {
        // Station calls tools directly, not as MCP tasks: a tool that only runs as a task cannot be offered.
        if ((tool as { execution?: { taskSupport?: string } }).execution?.taskSupport === "required") continue;
        const name = namespaceToolName(connection.id, tool.name, taken);
        taken.add(name);
        catalog.push({
          name,
          serverId: connection.id,
          toolName: tool.name,
          ...(tool.title === undefined ? {} : { title: tool.title }),
          ...(tool.description === undefined ? {} : { description: tool.description }),
          inputSchema: tool.inputSchema as Record<string, unknown>,
        });
      }
    }
    return catalog;
  };

  const catalog = (): CatalogTool[] => {
    catalogCache ??= buildCatalog();
    return catalogCache;
  };

  const requireConnection = (id: string): McpConnection => {
    const connection = connections.get(id);
    if (connection === undefined) throw errors.notFound("MCP server", id, "mcp_server_not_found");
    return connection;
  };

  const callTool = async (name: string, argumentsJson: string, callOptions: { signal?: AbortSignal } = {}): Promise<ToolCallOutcome> => {
    const started = Date.now();
    const failure = (errorCode: NonNullable<ToolCallOutcome["errorCode"]>, message: string): ToolCallOutcome => ({
      isError: true,
      errorCode,
      text: truncateUtf8(message, config.maxResultBytes).text,
      truncated: false,
      durationMs: Date.now() - started,
    });
    const tool = catalog().find((candidate) => candidate.name === name);
    if (tool === undefined) return failure("tool_not_found", `Tool '${name}' is not available.`);
    let args: Record<string, unknown>;
    try {
      const parsed: unknown = argumentsJson.trim() === "" ? {} : JSON.parse(argumentsJson);
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("arguments must be a JSON object");
      args = parsed as Record<string, unknown>;
    } catch (error) {
      return failure("invalid_arguments", `Invalid arguments for tool '${name}': ${(error as Error).message}`);
    }
    const connection = connections.get(tool.serverId);
    if (connection === undefined) return failure("tool_unavailable", `The MCP server '${tool.serverId}' is gone.`);
    try {
      const result = await connection.callTool(tool.toolName, args, {
        timeoutMs: config.toolTimeoutMs,
        ...(callOptions.signal === undefined ? {} : { signal: callOptions.signal }),
      });
      const formatted = formatToolResult(result, config.maxResultBytes);
      return { isError: result.isError === true, text: formatted.text, truncated: formatted.truncated, durationMs: Date.now() - started };
    } catch (error) {
      if (callOptions.signal?.aborted) return failure("aborted", `Tool '${name}' was cancelled.`);
      const { ErrorCode, McpError } = await import("@modelcontextprotocol/sdk/types.js");
      if (error instanceof McpError && error.code === ErrorCode.RequestTimeout) {
        return failure("tool_timeout", `Tool '${name}' did not answer within ${config.toolTimeoutMs} ms.`);
      }
      if (error instanceof McpError && error.code === ErrorCode.ConnectionClosed) {
        return failure("tool_unavailable", `The MCP server '${tool.serverId}' closed the connection during the call.`);
      }
      if (error instanceof McpError) return failure("tool_failed", `Tool '${name}' failed: ${error.message}`);
      return failure("tool_unavailable", `Tool '${name}' could not be reached: ${(error as Error)?.message ?? String(error)}`);
    }
  };

  /** Adds stored servers this process lacks and applies stored enable/disable overrides; returns the new ones. */
  const syncFromStore = async (): Promise<McpConnection[]> => {
    const added: McpConnection[] = [];
    for (const stored of await options.store.list()) {
      const existing = connections.get(stored.id);
      if (stored.source !== "config" && stored.url !== null && existing === undefined) {
        added.push(
          add({
            id: stored.id,
            source: stored.source,
            enabled: stored.enabled !== false,
            transport: { kind: "http", url: stored.url, ...withHeaders(stored.headers) },
          }),
        );
      } else if (existing !== undefined && stored.enabled !== null && existing.status().enabled !== stored.enabled) {
        await existing.setEnabled(stored.enabled);
      }
    }
    return added;
  };
  let syncTimer: NodeJS.Timeout | undefined;
  let unsubscribe: (() => void) | undefined;
  const syncNow = (): void => {
    syncFromStore().then(
      (added) => Promise.all(added.map((connection) => connection.start())),
      (error: unknown) => logger.warn({ err: error }, "reading the stored MCP servers failed"),
    );
  };
  /** Tells the other instances; a lost announcement is caught by their poll. */
  const announce = async (): Promise<void> => {
    await options.changes?.publish().catch((error: unknown) => logger.warn({ err: error }, "announcing an MCP server change failed"));
  };

  const registry: McpRegistry = {
    async start() {
      for (const server of config.servers) add(fromConfig(server));
      for (const definition of options.servers ?? []) add(definition);
      await syncFromStore();
      await Promise.all([...connections.values()].map((connection) => connection.start()));
      unsubscribe = options.changes?.subscribe(syncNow);
      if (options.syncIntervalMs !== undefined) {
        syncTimer = setInterval(syncNow, options.syncIntervalMs);
        syncTimer.unref();
      }
    },
    servers: () => [...connections.values()].map(statusOf),
    server: (id) => {
      const connection = connections.get(id);
      return connection === undefined ? undefined : statusOf(connection);
    },
    serverTools(id) {
      requireConnection(id);
      return catalog().filter((tool) => tool.serverId === id);
    },
    catalog,
    callTool,
    async connect(request) {
      const url = await assertPublicUrl(request.url, { allowPrivateNetworks: options.allowPrivateNetworks, param: "url" });
      const id = request.id ?? idFromUrl(url, new Set(connections.keys()));
      if (!serverIdPattern.test(id)) throw errors.invalidRequest("id must be 1-48 letters, digits, '_' or '-'", "id");
      if (connections.has(id)) throw errors.conflict(`An MCP server with id '${id}' already exists`);
      const existing = [...connections.values()].find((connection) => urlOf(connection) === url.toString());
      if (existing !== undefined) throw errors.conflict(`This URL is already registered as MCP server '${existing.id}'`);
      const definition: McpServerDefinition = {
        id,
        source: "api",
        enabled: true,
        transport: { kind: "http", url: url.toString(), ...withHeaders(request.headers) },
      };
      // Prove the server speaks MCP before keeping it: a bad URL must leave nothing behind.
      try {
        const probe = await connect(definition, AbortSignal.timeout(connectTimeoutMs));
        await probe.client.close().catch(() => {});
      } catch (error) {
        throw new StationError({
          code: "mcp_connect_failed",
          status: 502,
          param: "url",
          message: `Could not open an MCP session at '${redactUrl(url.toString())}': ${(error as Error)?.message ?? String(error)}`,
          cause: error,
        });
      }
      await options.store.addServer({ id, source: "api", url: url.toString(), headers: request.headers });
      const connection = add(definition);
      await announce();
      await connection.start();
      return statusOf(connection);
    },
    async setEnabled(id, enabled) {
      const connection = requireConnection(id);
      if (connection.definition.source !== "test") await options.store.setEnabled(id, connection.definition.source, enabled);
      await connection.setEnabled(enabled);
      if (connection.definition.source !== "test") await announce();
      return statusOf(connection);
    },
    async refresh(id) {
      const targets = id === undefined ? [...connections.values()] : [requireConnection(id)];
      await Promise.all(targets.map((connection) => connection.refresh()));
      return targets.map(statusOf);
    },
    async discover(discoverOptions = {}) {
      const found = await discoverMcpServers({
        hosts: config.discover.hosts,
        ports: config.discover.ports,
        paths: config.discover.paths,
        connect: (definition, signal) => connect(definition, signal),
        timeoutMs: 2_000,
      });
      const results = found.map((server) => ({
        ...server,
        registeredAs: [...connections.values()].find((connection) => urlOf(connection) === server.url)?.id ?? null,
      }));
      if (discoverOptions.register) {
        for (const server of results) {
          if (server.registeredAs !== null) continue;
          // Discovery targets come from the config file, so they are trusted like config servers.
          const id = idFromUrl(new URL(server.url), new Set(connections.keys()));
          await options.store.addServer({ id, source: "discovered", url: server.url });
          const connection = add({ id, source: "discovered", enabled: true, transport: { kind: "http", url: server.url } });
          await announce();
          await connection.start();
          server.registeredAs = id;
        }
      }
      return results;
    },
    onCatalogChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      clearInterval(syncTimer);
      unsubscribe?.();
      await Promise.all([...connections.values()].map((connection) => connection.close()));
      await guardedFetch.close();
    },
  };
  return registry;
}

function fromConfig(server: McpServerConfig): McpServerDefinition {
  const transport: McpServerDefinition["transport"] =
    server.command !== undefined
      ? {
          kind: "stdio",
          command: server.command,
          args: server.args,
          ...(server.env === undefined ? {} : { env: server.env }),
          ...(server.cwd === undefined ? {} : { cwd: server.cwd }),
        }
      : { kind: "http", url: server.url as string, ...withHeaders(server.headers) };
  return { id: server.id, source: "config", enabled: server.enabled, transport };
}

function urlOf(connection: McpConnection): string | undefined {
  const spec = connection.definition.transport;
  return spec.kind === "http" ? new URL(spec.url).toString() : undefined;
}

function withHeaders(headers: Record<string, string> | undefined): { headers?: Record<string, string> } {
  return headers === undefined ? {} : { headers };
}

/** "http://tools.example.com:9001/mcp" → "tools_example_com_9001", made unique. */
function idFromUrl(url: URL, taken: ReadonlySet<string>): string {
  const base = `${url.hostname}${url.port === "" ? "" : `_${url.port}`}`.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 40);
  if (!taken.has(base)) return base;
  for (let suffix = 2; ; suffix++) if (!taken.has(`${base}_${suffix}`)) return `${base}_${suffix}`;
}
