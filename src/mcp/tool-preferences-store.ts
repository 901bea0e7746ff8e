import type { StationDatabase } from "../storage/database.ts";
import { defaultToolPreferences, type ToolPreferences, toolPreferencesSchema } from "./tool-preferences.ts";

/** Per-client MCP tool preferences (GET|PUT /api/mcp/preferences/{client_id}). */
export interface ToolPreferencesStore {
  get(clientId: string): Promise<ToolPreferences>;
  put(clientId: string, preferences: ToolPreferences): Promise<ToolPreferences>;
}

export function createToolPreferencesStore(db: StationDatabase, clock: () => number = Date.now): ToolPreferencesStore {
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
