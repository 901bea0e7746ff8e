import { z } from "zod";
import type { CatalogTool } from "./mcp-types.ts";

const toolOrServerName = z.string().min(1).max(128);

/** Which MCP tools one client lets the model use. Everything is allowed by default. */
export const toolPreferencesSchema = z.strictObject({
  /** Master switch: false offers the model no tools at all. */
  tools_enabled: z.boolean().default(true),
  /** Server ids whose tools are never offered. */
  disabled_servers: z.array(toolOrServerName).max(1000).default([]),
  /** Namespaced tool names ("server__tool") never offered. */
  disabled_tools: z.array(toolOrServerName).max(10_000).default([]),
  /** When set, only these namespaced tools are offered (after the lists above). null: all. */
  allowed_tools: z.array(toolOrServerName).max(10_000).nullable().default(null),
});

export type ToolPreferences = z.infer<typeof toolPreferencesSchema>;

export const defaultToolPreferences: ToolPreferences = toolPreferencesSchema.parse({});

export function isToolAllowed(preferences: ToolPreferences, tool: Pick<CatalogTool, "name" | "serverId">): boolean {
  if (!preferences.tools_enabled) return false;
  if (preferences.disabled_servers.includes(tool.serverId)) return false;
  if (preferences.disabled_tools.includes(tool.name)) return false;
  return preferences.allowed_tools === null || preferences.allowed_tools.includes(tool.name);
}
