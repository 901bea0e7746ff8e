import { mkdirSync } from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { ConfigError } from "../config/config-error.ts";

export interface DataDirLock {
  release(): void;
}

/**
 * Makes this process the only Station serving a data dir. The lock is an exclusive SQLite
 * lock on `<dataDir>/station.lock`: an OS advisory lock that the kernel drops when the
 * process dies, even by SIGKILL, so a crashed Station never leaves a stale lock behind.
 * Holding it is what lets start-up re-queue every job the previous process left running,
 * at once, instead of waiting for their leases to expire.
 */
export function acquireDataDirLock(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, "station.lock");
  const lock = new BetterSqlite3(file, { timeout: 0 });
  try {
    lock.pragma("locking_mode = EXCLUSIVE");
    // The first write takes the exclusive lock; in EXCLUSIVE locking mode it is kept until close.
    lock.exec("CREATE TABLE IF NOT EXISTS holder (pid INTEGER); DELETE FROM holder;");
    lock.prepare("INSERT INTO holder (pid) VALUES (?)").run(process.pid);
  } catch (error) {
    lock.close();
    if ((error as { code?: string }).code === "SQLITE_BUSY") {
      throw new ConfigError(
        `another Station is already serving the data dir ${dataDir}; stop it first, or give this one its own --data-dir`,
      );
    }
    throw error;
  }
  return {
    release() {
      if (lock.open) lock.close();
    },
  };
}
