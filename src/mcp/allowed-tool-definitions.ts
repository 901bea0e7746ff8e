import type { ToolDefinition } from "../providers/spec/index.ts";
import type { McpRegistry } from "./mcp-registry.ts";
import { isToolAllowed, type ToolPreferences } from "./tool-preferences.ts";

/** The MCP tools a client's preferences allow, as the tool definitions a chat model is offered. */
export function allowedToolDefinitions(mcp: McpRegistry, preferences: ToolPreferences): ToolDefinition[] {
  return mcp
    .catalog()
    .filter((tool) => isToolAllowed(preferences, tool))
    .map((tool) => ({
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      parameters: tool.inputSchema,
    }));
}
