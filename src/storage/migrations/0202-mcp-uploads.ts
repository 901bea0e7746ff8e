import type { Kysely, Migration } from "kysely";

/** MCP servers added through the API, enable/disable overrides, per-client tool preferences, uploads. */
export const mcpUploadsMigration: Migration = {
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before table types exist
  async up(db: Kysely<any>) {
    await db.schema
      .createTable("mcp_servers")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("source", "text", (column) => column.notNull())
      .addColumn("url", "text")
      .addColumn("headers", "text")
      .addColumn("enabled", "integer")
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .addColumn("updated_at", "bigint", (column) => column.notNull())
      .execute();
    await db.schema
      .createTable("mcp_preferences")
      .addColumn("client_id", "text", (column) => column.primaryKey())
      .addColumn("data", "text", (column) => column.notNull())
      .addColumn("updated_at", "bigint", (column) => column.notNull())
      .execute();
    await db.schema
      .createTable("uploads")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("media_type", "text", (column) => column.notNull())
      .addColumn("size", "integer", (column) => column.notNull())
      .addColumn("filename", "text")
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .execute();
  },
};
