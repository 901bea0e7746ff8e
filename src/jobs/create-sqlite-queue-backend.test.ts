import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDatabase } from "../storage/database.ts";
import { migrate } from "../storage/migrate.ts";
import { createSqliteQueueBackend } from "./create-sqlite-queue-backend.ts";
import { describeQueueBackendConformance } from "./queue-backend.conformance.ts";

describeQueueBackendConformance("sqlite (file, WAL)", async () => {
  const directory = mkdtempSync(path.join(tmpdir(), "station-queue-"));
  const database = openDatabase(path.join(directory, "station.db"));
  await migrate(database);
  return {
    backend: createSqliteQueueBackend(database.sqlite),
    async close() {
      await database.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
});
