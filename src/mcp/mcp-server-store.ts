import type { StationDatabase } from "../storage/database.ts";

export interface StoredMcpServer {
  id: string;
  /**
   * "api": added with POST /api/mcp/servers/connect (SSRF-guarded); "discovered": registered by
   * discovery of config-listed hosts (trusted like config); "config": only an enable/disable override.
   */
  source: "api" | "discovered" | "config";
  url: string | null;
  headers: Record<string, string> | undefined;
  /** null: no override (use the config's `enabled`). */
  enabled: boolean | null;
}

/** Persists servers added through the API and per-server enable/disable, so both survive a restart. */
export interface McpServerStore {
  list(): Promise<StoredMcpServer[]>;
  addServer(server: { id: string; source: "api" | "discovered"; url: string; headers?: Record<string, string> | undefined }): Promise<void>;
  setEnabled(id: string, source: StoredMcpServer["source"], enabled: boolean): Promise<void>;
}

export function createMcpServerStore(db: StationDatabase, clock: () => number = Date.now): McpServerStore {
  return {
    async list() {
      const rows = await db.selectFrom("mcp_servers").selectAll().orderBy("created_at").execute();
      return rows.map((row) => ({
        id: row.id,
        source: row.source === "api" || row.source === "discovered" ? row.source : "config",
        url: row.url,
        headers: row.headers === null ? undefined : (JSON.parse(row.headers) as Record<string, string>),
        enabled: row.enabled === null ? null : row.enabled === 1,
      }));
    },
    async addServer(server) {
      const now = clock();
      await db
        .insertInto("mcp_servers")
        .values({
          id: server.id,
          source: server.source,
          url: server.url,
          headers: server.headers === undefined ? null : JSON.stringify(server.headers),
          enabled: 1,
          created_at: now,
          updated_at: now,
        })
        .execute();
    },
    async setEnabled(id, source, enabled) {
      const now = clock();
      await db
        .insertInto("mcp_servers")
        .values({ id, source, url: null, headers: null, enabled: enabled ? 1 : 0, created_at: now, updated_at: now })
        .onConflict((conflict) => conflict.column("id").doUpdateSet({ enabled: enabled ? 1 : 0, updated_at: now }))
        .execute();
    },
  };
}
