/**
 * An MCP server built with the official SDK's McpServer, reached through the SDK's
 * InMemoryTransport: the same JSON-RPC messages as over stdio or HTTP, without a process.
 *
 *   const server = createInMemoryMcpServer("calc", (mcp) => mcp.registerTool("add", ..., handler));
 *   createMcpRegistry({ ..., servers: [server.definition] })
 *   server.current          // the McpServer of the live session (register more tools, send notifications)
 *   await server.drop()     // closes the server side: the client sees the connection close
 */

import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { McpServerDefinition } from "../../src/mcp/mcp-types.ts";

export interface InMemoryMcpServer {
  definition: McpServerDefinition;
  /** The server of the most recent session (one per client connection). */
  readonly current: McpServer | undefined;
  /** Sessions opened so far (reconnects open new ones). */
  readonly sessions: number;
  /** Closes the live session from the server side. */
  drop(): Promise<void>;
  /** While true, new connection attempts fail (a server that is down). */
  refuse: boolean;
}

export function createInMemoryMcpServer(
  id: string,
  setup: (server: McpServer) => void,
  options: { enabled?: boolean } = {},
): InMemoryMcpServer {
  let current: McpServer | undefined;
  let serverTransport: InMemoryTransport | undefined;
  let sessions = 0;
  const handle: InMemoryMcpServer = {
    refuse: false,
    definition: {
      id,
      source: "test",
      enabled: options.enabled ?? true,
      transport: {
        kind: "custom",
        label: `in-memory:${id}`,
        createTransport: async () => {
          if (handle.refuse) throw new Error(`in-memory server '${id}' is down`);
          const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
          const server = new McpServer({ name: `${id}-server`, version: "1.0.0" }, { capabilities: { tools: { listChanged: true } } });
          setup(server);
          await server.connect(serverSide);
          current = server;
          serverTransport = serverSide;
          sessions++;
          return clientSide;
        },
      },
    },
    get current() {
      return current;
    },
    get sessions() {
      return sessions;
    },
    async drop() {
      await serverTransport?.close();
    },
  };
  return handle;
}

/** Polls `condition` until it holds (the deadline only guards against a hang; it is not a timing assertion). */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, deadlineMs = 20_000): Promise<void> {
  const until = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
