import path from "node:path";
import type { StationConfig } from "../config/schema.ts";
import type { Logger } from "../logging/create-logger.ts";
import { type Database, openDatabase } from "./database.ts";

/** The database `storage` names: the SQLite file in the data dir (default) or the shared PostgreSQL. */
export async function openStationDatabase(config: StationConfig, logger: Logger): Promise<Database> {
  const { storage } = config;
  if (storage.backend === "postgres" && storage.url !== undefined) {
    // pg is imported only when configured (SQLite is the default).
    const { openPostgresDatabase } = await import("./open-postgres-database.ts");
    return openPostgresDatabase({ url: storage.url, poolSize: storage.poolSize, logger });
  }
  return openDatabase(path.join(config.dataDir, "station.db"));
}
