import type { Kysely } from "kysely";
import { defaultToolPreferences, type ToolPreferences, toolPreferencesSchema } from "./tool-preferences.ts";

interface McpPreferencesTable {
  client_id: string;
  data: string;
  updated_at: number;
}

/** Per-client MCP tool preferences (GET|PUT /api/mcp/preferences/{client_id}). */
export interface ToolPreferencesStore {
  get(clientId: string): Promise<ToolPreferences>;
  put(clientId: string, preferences: ToolPreferences): Promise<ToolPreferences>;
}

export function createToolPreferencesStore(database: Kysely<unknown>, clock: () => number = Date.now): ToolPreferencesStore {
  const db = database as unknown as Kysely<{ mcp_preferences: McpPreferencesTable }>;
  return {
    async get(clientId) {
      const row = await db.selectFrom("mcp_preferences").select("data").where("client_id", "=", clientId).executeTakeFirst();
      if (row === undefined) return structuredClone(defaultToolPreferences);
      // Parse through the schema so rows written by older versions gain new defaults.
      const parsed = toolPreferencesSchema.safeParse(JSON.parse(row.data));
      return parsed.success ? parsed.data : structuredClone(defaultToolPreferences);
    },
    async put(clientId, preferences) {
      const data = JSON.stringify(preferences);
      const now = clock();
      await db
        .insertInto("mcp_preferences")
        .values({ client_id: clientId, data, updated_at: now })
        .onConflict((conflict) => conflict.column("client_id").doUpdateSet({ data, updated_at: now }))
        .execute();
      return preferences;
    },
  };
}
