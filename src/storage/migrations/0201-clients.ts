import type { Kysely, Migration } from "kysely";
import { addSerialKey } from "./portable-ddl.ts";

/** Per-client settings (one row per section), presets (ordered per client) and suggestions. */
export const clientsMigration: Migration = {
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before table types exist
  async up(db: Kysely<any>) {
    await db.schema
      .createTable("clients")
      .addColumn("client_id", "text", (column) => column.primaryKey())
      .addColumn("active_preset", "text")
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .addColumn("updated_at", "bigint", (column) => column.notNull())
      .execute();
    await db.schema
      .createTable("client_settings")
      .addColumn("client_id", "text", (column) => column.notNull())
      .addColumn("section", "text", (column) => column.notNull())
      .addColumn("data", "text", (column) => column.notNull())
      .addColumn("updated_at", "bigint", (column) => column.notNull())
      .addPrimaryKeyConstraint("client_settings_pk", ["client_id", "section"])
      .execute();
    await db.schema
      .createTable("client_presets")
      .$call(addSerialKey(db, "seq"))
      .addColumn("client_id", "text", (column) => column.notNull())
      .addColumn("name", "text", (column) => column.notNull())
      .addColumn("description", "text")
      .addColumn("data", "text", (column) => column.notNull())
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .addUniqueConstraint("client_presets_name", ["client_id", "name"])
      .execute();
    await db.schema
      .createTable("suggestions")
      .$call(addSerialKey(db, "seq"))
      .addColumn("id", "text", (column) => column.notNull().unique())
      .addColumn("client_id", "text")
      .addColumn("title", "text")
      .addColumn("content", "text", (column) => column.notNull())
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .addColumn("updated_at", "bigint", (column) => column.notNull())
      .execute();
  },
};
