import { mkdirSync } from "node:fs";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect } from "./kysely.ts";
import type { StationTables } from "./station-tables.ts";

/** Station's database as every store sees it: one Kysely type, whichever dialect is behind it. */
export type StationDatabase = Kysely<StationTables>;

/** How the database answers right now (GET /health, /v1/system/metrics, `station doctor`). */
export interface DatabaseHealth {
  backend: "sqlite" | "postgres";
  reachable: boolean;
  latencyMs: number | null;
  /** Connections: open, idle, callers waiting for one (PostgreSQL only). */
  pool?: { size: number; max: number; idle: number; waiting: number };
  error?: string;
}

interface DatabaseBase {
  readonly kysely: StationDatabase;
  /** Where it lives, fit for logs: a file path or a URL without its password. */
  readonly location: string;
  health(): Promise<DatabaseHealth>;
  close(): Promise<void>;
}

/**
 * The embedded default. Hot paths that need SQLite's synchronous, transactional guarantees
 * (the job queue's atomic claim) use `sqlite` directly behind their own backend interface.
 */
export interface SqliteDatabase extends DatabaseBase {
  readonly dialect: "sqlite";
  readonly sqlite: BetterSqlite3.Database;
  readonly file: string;
}

/** Shared by every instance (see open-postgres-database.ts). */
export interface PostgresDatabase extends DatabaseBase {
  readonly dialect: "postgres";
}

export type Database = SqliteDatabase | PostgresDatabase;

export function openDatabase(file: string): SqliteDatabase {
  if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new BetterSqlite3(file);
  sqlite.pragma("journal_mode = WAL");
  // NORMAL is durable across process crashes (SIGKILL) in WAL mode; only an OS crash can lose the last commit.
  sqlite.pragma("synchronous = NORMAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma("busy_timeout = 5000");
  const kysely = new Kysely<StationTables>({ dialect: new SqliteDialect({ database: sqlite }) });
  let closed = false;
  return {
    dialect: "sqlite",
    kysely,
    sqlite,
    file,
    location: file,
    async health() {
      const started = performance.now();
      try {
        sqlite.prepare("SELECT 1").get();
        return { backend: "sqlite", reachable: true, latencyMs: round(performance.now() - started) };
      } catch (error) {
        return { backend: "sqlite", reachable: false, latencyMs: null, error: (error as Error).message };
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      // Kysely's destroy closes the underlying better-sqlite3 handle.
      await kysely.destroy();
    },
  };
}

export function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
