import { randomBytes } from "node:crypto";
import pg from "pg";

/** The PostgreSQL server tests use (trust auth on loopback); override with STATION_TEST_POSTGRES_URL. */
export const testPostgresServer = process.env.STATION_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432";

export interface PostgresTestDatabase {
  /** Connection URL of the fresh, empty database. */
  url: string;
  name: string;
  /** Drops the database (ending whatever is still connected to it). */
  drop(): Promise<void>;
}

/** Creates a fresh database on the test server; each test file makes its own and drops it after. */
export async function createPostgresTestDatabase(): Promise<PostgresTestDatabase> {
  const name = `station_test_${randomBytes(6).toString("hex")}`;
  await admin(`CREATE DATABASE ${name}`);
  return {
    url: `${testPostgresServer}/${name}`,
    name,
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${testPostgresServer}/postgres` });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
