import type { Kysely, Migration } from "kysely";
import { sql } from "../kysely.ts";
import { withoutRowId } from "./portable-ddl.ts";

/** The durable job queue (caption jobs, webhook deliveries) and the record of every webhook attempt. */
export const jobsMigration: Migration = {
  // biome-ignore lint/suspicious/noExplicitAny: migrations run before table types exist
  async up(db: Kysely<any>) {
    await db.schema
      .createTable("jobs")
      .addColumn("id", "text", (column) => column.primaryKey())
      .addColumn("queue", "text", (column) => column.notNull())
      .addColumn("status", "text", (column) => column.notNull())
      .addColumn("result", "text")
      .addColumn("error", "text")
      .addColumn("attempts", "integer", (column) => column.notNull().defaultTo(0))
      .addColumn("max_attempts", "integer", (column) => column.notNull())
      .addColumn("run_at", "bigint", (column) => column.notNull())
      .addColumn("lease_token", "text")
      .addColumn("lease_expires_at", "bigint")
      .addColumn("parent_id", "text")
      .addColumn("created_at", "bigint", (column) => column.notNull())
      .addColumn("started_at", "bigint")
      .addColumn("finished_at", "bigint")
      .addCheckConstraint("jobs_status", sql`status in ('queued', 'running', 'completed', 'failed', 'cancelled')`)
      // WITHOUT ROWID on SQLite: one B-tree per table instead of a table plus a key index, so each commit writes fewer pages.
      .$call(withoutRowId(db))
      .execute();
    // Few, partial indexes: every status change rewrites each index a row is in, and that is the queue's hot path.
    await db.schema.createIndex("jobs_claim").on("jobs").columns(["queue", "run_at"]).where(sql.ref("status"), "=", "queued").execute();
    await db.schema
      .createIndex("jobs_lease")
      .on("jobs")
      .columns(["queue", "lease_expires_at"])
      .where(sql.ref("status"), "=", "running")
      .execute();
    await db.schema
      .createIndex("jobs_finished")
      .on("jobs")
      .columns(["queue", "status", "finished_at"])
      .where(sql.ref("finished_at"), "is not", null)
      .execute();
    // Payloads (images) are written once and kept apart: SQLite rewrites a whole row on every UPDATE.
    await db.schema
      .createTable("job_payloads")
      .addColumn("job_id", "text", (column) => column.primaryKey())
      .addColumn("payload", "text", (column) => column.notNull())
      .$call(withoutRowId(db))
      .execute();
    await db.schema
      .createTable("webhook_attempts")
      .addColumn("job_id", "text", (column) => column.notNull())
      .addColumn("delivery_id", "text", (column) => column.notNull())
      .addColumn("attempt", "integer", (column) => column.notNull())
      .addColumn("url", "text", (column) => column.notNull())
      .addColumn("attempted_at", "bigint", (column) => column.notNull())
      .addColumn("duration_ms", "integer", (column) => column.notNull())
      .addColumn("status_code", "integer")
      .addColumn("error", "text")
      .addColumn("ok", "integer", (column) => column.notNull())
      .addPrimaryKeyConstraint("webhook_attempts_pk", ["job_id", "delivery_id", "attempt"])
      .$call(withoutRowId(db))
      .execute();
  },
};
