import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Database, openDatabase } from "../../src/storage/database.ts";
import { migrate } from "../../src/storage/migrate.ts";
import { openPostgresDatabase } from "../../src/storage/open-postgres-database.ts";
import { createPostgresTestDatabase } from "./postgres-test-database.ts";

export interface OpenedTestDatabase {
  database: Database;
  close(): Promise<void>;
}

/** Both dialects, migrated and empty: run a store's tests once per entry (`describe.each`). */
export const testDialects: { dialect: "sqlite" | "postgres"; open: () => Promise<OpenedTestDatabase> }[] = [
  {
    dialect: "sqlite",
    async open() {
      const directory = mkdtempSync(path.join(tmpdir(), "station-store-"));
      const database = openDatabase(path.join(directory, "station.db"));
      await migrate(database);
      return {
        database,
        async close() {
          await database.close();
          rmSync(directory, { recursive: true, force: true });
        },
      };
    },
  },
  {
    dialect: "postgres",
    async open() {
      const created = await createPostgresTestDatabase();
      const database = await openPostgresDatabase({ url: created.url, poolSize: 4 });
      await migrate(database);
      return {
        database,
        async close() {
          await database.close();
          await created.drop();
        },
      };
    },
  },
];
