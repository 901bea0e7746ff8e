#!/usr/bin/env node
// A stdio MCP server (official SDK) with tools that misbehave on purpose, for end-to-end tests:
//   crash  — the process exits while the call is in flight (a server that dies mid-call)
//   hang   — never answers
//   echo   — answers at once
// Each process start appends a line to the file named by MCP_FAULT_STARTS (to count restarts).
import { appendFileSync } from "node:fs";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { z } from "zod";

if (process.env.MCP_FAULT_STARTS) appendFileSync(process.env.MCP_FAULT_STARTS, `${process.pid}\n`);
const server = new McpServer({ name: "fault-server", version: "1.0.0" });
server.registerTool("crash", { description: "Exits the server process mid-call" }, async () => {
  setImmediate(() => process.exit(3));
  return new Promise(() => {});
});
server.registerTool("hang", { description: "Never answers" }, () => new Promise(() => {}));
server.registerTool("echo", { description: "Echoes text", inputSchema: { text: z.string() } }, async ({ text }) => ({
  content: [{ type: "text", text: `echo: ${text}` }],
}));
await server.connect(new StdioServerTransport());
