import { mkdirSync } from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";

/**
 * Station's SQLite database. Features reach it through repositories that take a `Kysely`
 * instance (so a Postgres dialect can be swapped in later); hot paths that need SQLite's
 * synchronous, transactional guarantees (the job queue's atomic claim) use `sqlite` directly
 * behind their own backend interface.
 */
export interface Database {
  // biome-ignore lint/suspicious/noExplicitAny: each repository declares its own table types
  readonly kysely: Kysely<any>;
  readonly sqlite: BetterSqlite3.Database;
  readonly file: string;
  close(): Promise<void>;
}

export function openDatabase(file: string): Database {
  if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma("journal_mode = WAL");
  // NORMAL is durable across process crashes (SIGKILL) in WAL mode; only an OS crash can lose the last commit.
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  const kysely = new Kysely({ dialect: new SqliteDialect({ database: sqlite }) });
  let closed = false;
  return {
    kysely,
    sqlite,
    file,
    async close() {
      if (closed) return;
      closed = true;
      // Kysely's destroy closes the underlying better-sqlite3 handle.
      await kysely.destroy();
    },
  };
}
