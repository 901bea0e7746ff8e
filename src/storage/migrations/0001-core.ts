import type { Kysely, Migration } from "kysely";

/** Key/value facts about the installation (schema notes, first start time, ...). */
export const coreMigration: Migration = {
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before table types exist
  async up(db: Kysely<any>) {
    await db.schema
      .createTable("meta")
      .addColumn("key", "text", (column) => column.primaryKey())
      .addColumn("value", "text", (column) => column.notNull())
      .addColumn("updated_at", "bigint", (column) => column.notNull())
      .execute();
  },
};
