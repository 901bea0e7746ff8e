import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { clientIdSchema } from "../../clients/client-settings-schemas.ts";
import { StationError } from "../../errors/station-error.ts";
import type { CatalogTool, McpServerStatus } from "../../mcp/mcp-types.ts";
import { isToolAllowed, toolPreferencesSchema } from "../../mcp/tool-preferences.ts";
import type { Station } from "../../station/station.ts";

const serverParams = z.object({ id: z.string().min(1).max(128) });
const clientParams = z.object({ client_id: clientIdSchema });

const connectBody = z.strictObject({
  url: z.string().min(1).max(2048),
  id: z.string().min(1).max(48).optional(),
  headers: z.record(z.string().regex(/^[A-Za-z0-9-]+$/), z.string().max(8192)).optional(),
  // Named only so the refusal can say why: stdio servers come from the config file, never the API.
  command: z.unknown().optional(),
  args: z.unknown().optional(),
});

const toSnakeStatus = (status: McpServerStatus) => ({
  id: status.id,
  source: status.source,
  kind: status.kind,
  target: status.target,
  enabled: status.enabled,
  state: status.state,
  transport: status.transport,
  tool_count: status.toolCount,
  server_info: status.serverInfo,
  last_error: status.lastError,
  connected_at: status.connectedAt,
  attempts: status.attempts,
  tool_list_changes: status.toolListChanges,
});

const toSnakeTool = (tool: CatalogTool) => ({
  name: tool.name,
  server_id: tool.serverId,
  tool: tool.toolName,
  title: tool.title ?? null,
  description: tool.description ?? null,
  input_schema: tool.inputSchema,
});

/** The MCP server registry and per-client tool preferences. */
export const mcpRoutes: FastifyPluginAsync<{ station: Station }> = async (fastify, { station }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { mcp } = station;

  const listServers = async () => ({ servers: mcp.servers().map(toSnakeStatus) });
  const listSchema = { schema: { tags: ["mcp"], summary: "MCP servers with their state and tool counts" } };
  app.get("/api/mcp/servers/", listSchema, listServers);
  app.get("/api/mcp/servers", { schema: { ...listSchema.schema, hide: true } }, listServers);

  app.get(
    "/api/mcp/tools",
    {
      schema: {
        tags: ["mcp"],
        summary: "Every tool of every connected server; with client_id, only the ones that client allows",
        querystring: z.object({ client_id: clientIdSchema.optional() }),
      },
    },
    async (request) => {
      let tools = mcp.catalog();
      if (request.query.client_id !== undefined) {
        const preferences = await station.chat.toolPreferences.get(request.query.client_id);
        tools = tools.filter((tool) => isToolAllowed(preferences, tool));
      }
      return { tools: tools.map(toSnakeTool) };
    },
  );

  app.post(
    "/api/mcp/servers/connect",
    {
      schema: {
        tags: ["mcp"],
        summary: "Add a Streamable HTTP (or legacy SSE) MCP server by URL",
        description:
          "Private and loopback addresses are refused unless security.allowPrivateNetworks is set. Stdio servers come from the config file only.",
        body: connectBody,
      },
    },
    async (request, reply) => {
      const { url, id, headers, command, args } = request.body;
      if (command !== undefined || args !== undefined) {
        throw new StationError({
          code: "stdio_not_allowed",
          status: 400,
          param: "command",
          message: "MCP servers that run a command (stdio) can only be added in the config file, never through the API",
        });
      }
      const status = await mcp.connect({ url, ...(id === undefined ? {} : { id }), ...(headers === undefined ? {} : { headers }) });
      return reply.code(201).send(toSnakeStatus(status));
    },
  );

  app.post(
    "/api/mcp/servers/discover",
    {
      schema: {
        tags: ["mcp"],
        summary: "Probe the hosts, ports and paths in mcp.discover for MCP endpoints",
        body: z.strictObject({ register: z.boolean().default(false) }).nullish(),
      },
    },
    async (request) => {
      const found = await mcp.discover({ register: request.body?.register ?? false });
      return {
        servers: found.map((server) => ({
          url: server.url,
          transport: server.transport,
          server_info: server.serverInfo,
          tool_count: server.toolCount,
          registered_as: server.registeredAs,
        })),
      };
    },
  );

  app.post(
    "/api/mcp/servers/refresh",
    {
      schema: {
        tags: ["mcp"],
        summary: "Reconnect servers that are down and re-list every server's tools",
        body: z.strictObject({ id: z.string().min(1).optional() }).nullish(),
      },
    },
    async (request) => ({ servers: (await mcp.refresh(request.body?.id)).map(toSnakeStatus) }),
  );

  app.patch(
    "/api/mcp/servers/:id",
    {
      schema: {
        tags: ["mcp"],
        summary: "Enable or disable a server (remembered across restarts)",
        params: serverParams,
        body: z.strictObject({ enabled: z.boolean() }),
      },
    },
    async (request) => toSnakeStatus(await mcp.setEnabled(request.params.id, request.body.enabled)),
  );

  app.get(
    "/api/mcp/servers/:id/tools",
    { schema: { tags: ["mcp"], summary: "One server's tools, with the names the model sees", params: serverParams } },
    async (request) => ({ server_id: request.params.id, tools: mcp.serverTools(request.params.id).map(toSnakeTool) }),
  );

  app.get(
    "/api/mcp/preferences/:client_id",
    { schema: { tags: ["mcp"], summary: "Which MCP tools a client lets the model use", params: clientParams } },
    async (request) => ({ client_id: request.params.client_id, ...(await station.chat.toolPreferences.get(request.params.client_id)) }),
  );

  app.put(
    "/api/mcp/preferences/:client_id",
    {
      schema: {
        tags: ["mcp"],
        summary: "Replace a client's MCP tool preferences",
        params: clientParams,
        body: toolPreferencesSchema.extend({ client_id: z.string().optional() }),
      },
    },
    async (request) => {
      const { client_id: _ignored, ...preferences } = request.body;
      return { client_id: request.params.client_id, ...(await station.chat.toolPreferences.put(request.params.client_id, preferences)) };
    },
  );
};
