import type { ConnectedMcpClient } from "./connect-mcp-client.ts";
import type { DiscoveredMcpServer } from "./mcp-registry.ts";
import type { McpServerDefinition } from "./mcp-types.ts";

export interface DiscoverMcpServersOptions {
  hosts: string[];
  ports: number[];
  paths: string[];
  connect(definition: McpServerDefinition, signal: AbortSignal): Promise<ConnectedMcpClient>;
  /** Per-probe budget: a closed port fails at once, a silent one must not stall discovery. */
  timeoutMs: number;
  /** Probes run at once. */
  concurrency?: number;
}

/** Tries every host × port × path as an MCP endpoint (Streamable HTTP, then legacy SSE); keeps the ones that initialise. */
export async function discoverMcpServers(options: DiscoverMcpServersOptions): Promise<Omit<DiscoveredMcpServer, "registeredAs">[]> {
  const candidates: string[] = [];
  for (const host of options.hosts) {
    const hostPart = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
    for (const port of options.ports) {
      for (const path of options.paths) candidates.push(`http://${hostPart}:${port}${path.startsWith("/") ? path : `/${path}`}`);
    }
  }
  const found: (Omit<DiscoveredMcpServer, "registeredAs"> | undefined)[] = new Array(candidates.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < candidates.length) {
      const index = next++;
      found[index] = await probe(candidates[index] as string, options);
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 8, candidates.length) }, worker));
  // One server often answers on several paths of the same port (e.g. /mcp and /sse): keep the first.
  const seenOrigins = new Set<string>();
  return found.filter((server): server is Omit<DiscoveredMcpServer, "registeredAs"> => {
    if (server === undefined) return false;
    const origin = new URL(server.url).origin;
    if (seenOrigins.has(origin)) return false;
    seenOrigins.add(origin);
    return true;
  });
}

async function probe(url: string, options: DiscoverMcpServersOptions): Promise<Omit<DiscoveredMcpServer, "registeredAs"> | undefined> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  let connected: ConnectedMcpClient | undefined;
  try {
    connected = await options.connect({ id: "discovery", source: "discovered", enabled: true, transport: { kind: "http", url } }, signal);
    const tools = await connected.client.listTools({}, { signal, timeout: options.timeoutMs });
    const info = connected.client.getServerVersion();
    return {
      url,
      transport: connected.wire === "sse" ? "sse" : "streamable-http",
      serverInfo: info === undefined ? null : { name: info.name, version: info.version },
      toolCount: tools.tools.length,
    };
  } catch {
    return undefined;
  } finally {
    await connected?.client.close().catch(() => {});
  }
}
