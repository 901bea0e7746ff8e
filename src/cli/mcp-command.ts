import { type ConnectionFlags, connectToServer } from "./server-connection.ts";

interface ServerStatus {
  id: string;
  state: string;
  enabled: boolean;
  kind: string;
  target: string;
  tool_count: number;
  last_error: string | null;
}

interface Tool {
  name: string;
  description: string | null;
}

type JsonFlags = ConnectionFlags & { json?: boolean };

/** `station mcp servers`: the MCP servers a running Station knows, their state and tool counts. */
export async function mcpServersCommand(flags: JsonFlags): Promise<void> {
  const { servers } = await connectToServer(flags).json<{ servers: ServerStatus[] }>("GET", "/api/mcp/servers/");
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(servers, null, 2)}\n`);
    return;
  }
  if (servers.length === 0) process.stdout.write("no MCP servers (add them under mcp.servers in the config)\n");
  for (const server of servers) {
    const state = server.enabled ? server.state : "disabled";
    const error = server.last_error ? `  (${server.last_error})` : "";
    process.stdout.write(`${server.id}  ${state}  ${server.tool_count} tools  ${server.kind} ${server.target}${error}\n`);
  }
}

/** `station mcp tools <server>`: the tools one MCP server offers, with the names the model sees. */
export async function mcpToolsCommand(serverId: string, flags: JsonFlags): Promise<void> {
  const { tools } = await connectToServer(flags).json<{ tools: Tool[] }>("GET", `/api/mcp/servers/${encodeURIComponent(serverId)}/tools`);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(tools, null, 2)}\n`);
    return;
  }
  for (const tool of tools) process.stdout.write(`${tool.name}${tool.description ? `  ${tool.description.split("\n")[0]}` : ""}\n`);
}

/** `station mcp refresh`: reconnect servers that are down and re-list every server's tools. */
export async function mcpRefreshCommand(flags: ConnectionFlags): Promise<void> {
  const { servers } = await connectToServer(flags).json<{ servers: ServerStatus[] }>("POST", "/api/mcp/servers/refresh", {});
  process.stdout.write(`refreshed ${servers.length} server(s)\n`);
}
