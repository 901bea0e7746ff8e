import { type Kysely, type Migration, sql } from "kysely";

/** The durable job queue (caption jobs, webhook deliveries) and the record of every webhook attempt. */
export const jobsMigration: Migration = {
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before table types exist
  async up(db: Kysely<any>) {
    await sql`
      CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        queue TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
        result TEXT,
        error TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        max_attempts INTEGER NOT NULL,
        run_at INTEGER NOT NULL,
        lease_token TEXT,
        lease_expires_at INTEGER,
        parent_id TEXT,
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER
      ) WITHOUT ROWID`.execute(db);
    // Few, partial indexes: every status change rewrites each index a row is in, and that is the queue's hot path.
    await sql`CREATE INDEX jobs_claim ON jobs (queue, run_at) WHERE status = 'queued'`.execute(db);
    await sql`CREATE INDEX jobs_lease ON jobs (queue, lease_expires_at) WHERE status = 'running'`.execute(db);
    await sql`CREATE INDEX jobs_finished ON jobs (queue, status, finished_at) WHERE finished_at IS NOT NULL`.execute(db);
    // Payloads (images) are written once and kept apart: SQLite rewrites a whole row on every UPDATE.
    // WITHOUT ROWID everywhere: one B-tree per table instead of a table plus a key index, so each
    // commit writes fewer pages.
    await sql`
      CREATE TABLE job_payloads (
        job_id TEXT PRIMARY KEY,
        payload TEXT NOT NULL
      ) WITHOUT ROWID`.execute(db);
    await sql`
      CREATE TABLE webhook_attempts (
        job_id TEXT NOT NULL,
        delivery_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        url TEXT NOT NULL,
        attempted_at INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        status_code INTEGER,
        error TEXT,
        ok INTEGER NOT NULL,
        PRIMARY KEY (job_id, delivery_id, attempt)
      ) WITHOUT ROWID`.execute(db);
  },
};
