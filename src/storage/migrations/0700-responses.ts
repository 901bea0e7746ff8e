import type { Kysely, Migration } from "kysely";

/** Stored responses of the Responses API (`store`, `previous_response_id`, retrieve, input_items). */
export const responsesMigration: Migration = {
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before table types exist
  async up(db: Kysely<any>) {
    await db.schema
      .createTable("responses")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("previous_response_id", "text")
      .addColumn("input_items", "text", (column) => column.notNull())
      .addColumn("response", "text", (column) => column.notNull())
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .execute();
  },
};
