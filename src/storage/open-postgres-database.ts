import pg from "pg";
import { ConfigError } from "../config/config-error.ts";
import type { Logger } from "../logging/create-logger.ts";
import { type PostgresDatabase, round } from "./database.ts";
import { Kysely, PostgresDialect, sql } from "./kysely.ts";
import { redactUrl } from "./redact-url.ts";
import type { StationTables } from "./station-tables.ts";

const int8 = 20;

export interface PostgresDatabaseOptions {
  url: string;
  poolSize: number;
  logger?: Logger;
  /** How long to wait for a connection before a query fails (a 503 to the caller). */
  connectionTimeoutMs?: number;
}

/**
 * Opens the shared PostgreSQL database and proves it answers: an unreachable server or a
 * bad URL is a ConfigError (exit 2) naming `storage.url`, with the password redacted.
 * BIGINT comes back as a number (pg's default is a string): Station's BIGINTs are epoch ms
 * and counts, far below 2^53.
 */
export async function openPostgresDatabase(options: PostgresDatabaseOptions): Promise<PostgresDatabase> {
  const location = redactUrl(options.url);
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5000,
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === int8 && format !== "binary" ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as never,
    },
  });
  // An idle client whose server went away emits 'error' on the pool; unhandled, it would kill the process.
  pool.on("error", (error) => options.logger?.warn({ err: { message: error.message } }, "PostgreSQL connection lost; the pool reconnects"));
  // A connection in use when the server goes away emits 'error' on its client too: the query fails (a 503), the process lives.
  pool.on("connect", (client) => client.on("error", () => undefined));
  try {
    await pool.query("SELECT 1");
  } catch (error) {
    await pool.end().catch(() => undefined);
    throw new ConfigError(`key 'storage.url': cannot connect to PostgreSQL at ${location}: ${describe(error)}`);
  }
  const kysely = new Kysely<StationTables>({ dialect: new PostgresDialect({ pool }) });
  let closed = false;
  return {
    dialect: "postgres",
    kysely,
    location,
    async health() {
      const started = performance.now();
      const poolUse = { size: pool.totalCount, max: options.poolSize, idle: pool.idleCount, waiting: pool.waitingCount };
      try {
        await sql`SELECT 1`.execute(kysely);
        return { backend: "postgres", reachable: true, latencyMs: round(performance.now() - started), pool: poolUse };
      } catch (error) {
        return { backend: "postgres", reachable: false, latencyMs: null, pool: poolUse, error: describe(error) };
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await kysely.destroy();
    },
  };
}

/** The reason without anything that could carry the URL's password. */
function describe(error: unknown): string {
  const code = (error as { code?: string }).code;
  const message = (error as Error).message ?? String(error);
  return code === undefined ? message : `${code}: ${message}`;
}
