import type { Kysely, Migration } from "kysely";

/** Other names for models (Ollama's `/api/copy`), kept across restarts and shared by every instance. */
export const modelAliasesMigration: Migration = {
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before table types exist
  async up(db: Kysely<any>) {
    await db.schema
      .createTable("model_aliases")
      .addColumn("alias", "text", (column) => column.primaryKey())
      .addColumn("model_id", "text", (column) => column.notNull())
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .execute();
  },
};
