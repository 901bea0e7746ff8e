/**
 * Types shared by the MCP registry, the chat tool loop and the HTTP surface. Types only.
 */
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { JsonSchema } from "../providers/spec/index.ts";

/** How Station reaches one MCP server. */
export type McpTransportSpec =
  | { kind: "stdio"; command: string; args: string[]; env?: Record<string, string>; cwd?: string }
  | { kind: "http"; url: string; headers?: Record<string, string> }
  /** Any SDK transport built in-process (tests use the SDK's InMemoryTransport). */
  | { kind: "custom"; label: string; createTransport: () => Transport | Promise<Transport> };

export interface McpServerDefinition {
  id: string;
  /**
   * "config": from the config file; "api": added with POST /api/mcp/servers/connect (reached
   * through the SSRF guard); "discovered": found by discovery of config-listed hosts; "test": in code.
   */
  source: "config" | "api" | "discovered" | "test";
  transport: McpTransportSpec;
  enabled: boolean;
}

export type McpServerState = "connecting" | "connected" | "disconnected" | "disabled";

/** The transport actually in use once connected ("sse" is the legacy HTTP+SSE fallback). */
export type McpWireTransport = "stdio" | "streamable-http" | "sse" | "custom";

export interface McpServerStatus {
  id: string;
  source: McpServerDefinition["source"];
  /** "stdio" / "http" / "custom", from the definition. */
  kind: McpTransportSpec["kind"];
  /** URL for HTTP servers, command for stdio servers (never its env). */
  target: string;
  enabled: boolean;
  state: McpServerState;
  transport: McpWireTransport | null;
  toolCount: number;
  serverInfo: { name: string; version: string } | null;
  lastError: string | null;
  connectedAt: number | null;
  /** Connection attempts since the last success. */
  attempts: number;
  /** How many `notifications/tools/list_changed` the server sent. */
  toolListChanges: number;
}

/** One tool as the model sees it: a namespaced, OpenAI-safe name plus its origin. */
export interface CatalogTool {
  /** Matches ^[a-zA-Z0-9_-]{1,64}$ and is unique across every server. */
  name: string;
  serverId: string;
  /** The tool's name on its MCP server. */
  toolName: string;
  title?: string;
  description?: string;
  inputSchema: JsonSchema;
}

/** What a tool call produced, already reduced to text the model can read. */
export interface ToolCallOutcome {
  /** The tool answered with `isError: true`, or the call failed (timeout, server gone, bad arguments). */
  isError: boolean;
  /** The text handed to the model. */
  text: string;
  /** Set when the call itself failed (no result from the server). */
  errorCode?: "tool_timeout" | "tool_unavailable" | "tool_failed" | "tool_not_found" | "tool_not_allowed" | "invalid_arguments" | "aborted";
  truncated: boolean;
  durationMs: number;
}
