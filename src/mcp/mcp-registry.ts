import type { CatalogTool, McpServerStatus, ToolCallOutcome } from "./mcp-types.ts";

export interface DiscoveredMcpServer {
  url: string;
  transport: "streamable-http" | "sse";
  serverInfo: { name: string; version: string } | null;
  toolCount: number;
  /** Id of the registered server with this URL, if any. */
  registeredAs: string | null;
}

/**
 * Every MCP server Station knows (config, API-added, injected), kept connected, and the merged
 * tool catalog with namespaced names. Feature code (chat, realtime) calls tools only through here.
 */
export interface McpRegistry {
  /** Connects every enabled server; resolves once each has made its first attempt. */
  start(): Promise<void>;
  servers(): McpServerStatus[];
  server(id: string): McpServerStatus | undefined;
  /** Tools of one server (404 if the server is unknown). */
  serverTools(id: string): CatalogTool[];
  /** Tools of every connected, enabled server. */
  catalog(): CatalogTool[];
  /** Runs a tool by its namespaced name; never throws: failures come back as an error outcome. */
  callTool(name: string, argumentsJson: string, options?: { signal?: AbortSignal }): Promise<ToolCallOutcome>;
  /** Adds a Streamable HTTP / SSE server by URL (SSRF-guarded); persists it once it answered. */
  connect(request: { url: string; id?: string; headers?: Record<string, string> }): Promise<McpServerStatus>;
  setEnabled(id: string, enabled: boolean): Promise<McpServerStatus>;
  /** Reconnects servers that are down and re-lists tools of the others. */
  refresh(id?: string): Promise<McpServerStatus[]>;
  /** Probes the hosts, ports and paths in `mcp.discover` for MCP endpoints. */
  discover(options?: { register?: boolean }): Promise<DiscoveredMcpServer[]>;
  /** Calls `listener` whenever the catalog changes; returns an unsubscribe function. */
  onCatalogChange(listener: () => void): () => void;
  close(): Promise<void>;
}
