import type { Kysely, Migration } from "kysely";
import { binaryType } from "./portable-ddl.ts";

/**
 * Upload bytes in the database, used in shared mode: every instance reads them, and they
 * live and are backed up with the rest of the state (SQLite keeps them as files instead).
 */
export const uploadBlobsMigration: Migration = {
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before table types exist
  async up(db: Kysely<any>) {
    await db.schema
      .createTable("upload_blobs")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("content", binaryType(db), (column) => column.notNull())
      .execute();
  },
};
