import { randomUUID } from "node:crypto";
import type BetterSqlite3 from "better-sqlite3";
import type { JobsTable, WebhookAttemptsTable } from "../storage/station-tables.ts";
import {
  type ClaimedJob,
  type EnqueueOutcome,
  type JobRecord,
  type JobStatus,
  type LeaseFailureFollowUps,
  leaseExpired,
  type NewJob,
  type QueueBackend,
  queuedRecord,
  type WebhookAttempt,
} from "./queue-backend.ts";

/** The rows as stored: the tables' one definition, shared with the PostgreSQL schema's typing. */
type JobRow = JobsTable;
type AttemptRow = WebhookAttemptsTable;

/**
 * The queue on SQLite through the raw better-sqlite3 handle: each operation is one
 * synchronous transaction, so a 202 is only sent after the job is on disk (WAL), and a claim
 * is a single `UPDATE ... RETURNING` that two workers can never both win.
 */
export function createSqliteQueueBackend(sqlite: BetterSqlite3.Database): QueueBackend {
  const statements = {
    insert: sqlite.prepare(
      `INSERT OR IGNORE INTO jobs (id, queue, status, attempts, max_attempts, run_at, parent_id, created_at)
       VALUES (@id, @queue, 'queued', 0, @maxAttempts, @runAt, @parentId, @now)`,
    ),
    insertPayload: sqlite.prepare("INSERT OR IGNORE INTO job_payloads (job_id, payload) VALUES (?, ?)"),
    get: sqlite.prepare<[string], JobRow>("SELECT * FROM jobs WHERE id = ?"),
    payload: sqlite.prepare<[string], { payload: string }>("SELECT payload FROM job_payloads WHERE job_id = ?"),
    // Counted per status so each count reads one partial index, never the whole table.
    queuedCount: sqlite.prepare<[string], { n: number }>("SELECT count(*) AS n FROM jobs WHERE queue = ? AND status = 'queued'"),
    runningCount: sqlite.prepare<[string], { n: number }>("SELECT count(*) AS n FROM jobs WHERE queue = ? AND status = 'running'"),
    finishedCounts: sqlite.prepare<[string], { status: JobStatus; n: number }>(
      "SELECT status, count(*) AS n FROM jobs WHERE queue = ? AND finished_at IS NOT NULL GROUP BY status",
    ),
    claim: sqlite.prepare<{ queue: string; now: number; token: string; expires: number }, JobRow>(
      `UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_token = @token, lease_expires_at = @expires,
         started_at = coalesce(started_at, @now)
       WHERE id = (SELECT id FROM jobs WHERE queue = @queue AND status = 'queued' AND run_at <= @now ORDER BY run_at LIMIT 1)
       RETURNING *`,
    ),
    heartbeat: sqlite.prepare("UPDATE jobs SET lease_expires_at = @expires WHERE id = @id AND lease_token = @token AND status = 'running'"),
    complete: sqlite.prepare(
      `UPDATE jobs SET status = 'completed', result = @result, error = NULL, finished_at = @now, lease_token = NULL, lease_expires_at = NULL
       WHERE id = @id AND lease_token = @token AND status = 'running'`,
    ),
    retry: sqlite.prepare(
      `UPDATE jobs SET status = 'queued', error = @error, run_at = @runAt, lease_token = NULL, lease_expires_at = NULL
       WHERE id = @id AND lease_token = @token AND status = 'running' AND attempts < max_attempts`,
    ),
    failFinal: sqlite.prepare(
      `UPDATE jobs SET status = 'failed', error = @error, finished_at = @now, lease_token = NULL, lease_expires_at = NULL
       WHERE id = @id AND lease_token = @token AND status = 'running'`,
    ),
    release: sqlite.prepare(
      `UPDATE jobs SET status = 'queued', run_at = @now, attempts = max(0, attempts - 1), lease_token = NULL, lease_expires_at = NULL
       WHERE id = @id AND lease_token = @token AND status = 'running'`,
    ),
    cancel: sqlite.prepare(
      `UPDATE jobs SET status = 'cancelled', finished_at = @now, lease_token = NULL, lease_expires_at = NULL
       WHERE id = @id AND status IN ('queued', 'running')`,
    ),
    requeueExpired: sqlite.prepare(
      `UPDATE jobs SET status = 'queued', run_at = @now, lease_token = NULL, lease_expires_at = NULL
       WHERE status = 'running' AND lease_expires_at < @cutoff AND attempts < max_attempts`,
    ),
    expiredOutOfAttempts: sqlite.prepare<{ cutoff: number }, JobRow>(
      "SELECT * FROM jobs WHERE status = 'running' AND lease_expires_at < @cutoff AND attempts >= max_attempts",
    ),
    failExpired: sqlite.prepare(
      `UPDATE jobs SET status = 'failed', finished_at = @now, lease_token = NULL, lease_expires_at = NULL,
         error = @error
       WHERE status = 'running' AND lease_expires_at < @cutoff`,
    ),
    completedCount: sqlite.prepare<[string, number], { n: number }>(
      "SELECT count(*) AS n FROM jobs WHERE queue = ? AND status = 'completed' AND finished_at >= ?",
    ),
    latencies: sqlite.prepare<[string, number, number], { latency: number }>(
      `SELECT finished_at - created_at AS latency FROM jobs
       WHERE queue = ? AND status = 'completed' AND finished_at >= ? ORDER BY finished_at DESC LIMIT ?`,
    ),
    nextRunAt: sqlite.prepare<[string], { at: number | null }>("SELECT min(run_at) AS at FROM jobs WHERE queue = ? AND status = 'queued'"),
    finishedBefore: sqlite.prepare<[number], { id: string }>(
      "SELECT id FROM jobs WHERE status IN ('completed', 'failed', 'cancelled') AND finished_at < ?",
    ),
    deleteJob: sqlite.prepare("DELETE FROM jobs WHERE id = ?"),
    deletePayload: sqlite.prepare("DELETE FROM job_payloads WHERE job_id = ?"),
    deleteAttempts: sqlite.prepare("DELETE FROM webhook_attempts WHERE job_id = ?"),
    insertAttempt: sqlite.prepare(
      `INSERT OR REPLACE INTO webhook_attempts (job_id, delivery_id, attempt, url, attempted_at, duration_ms, status_code, error, ok)
       VALUES (@jobId, @deliveryId, @attempt, @url, @attemptedAt, @durationMs, @statusCode, @error, @ok)`,
    ),
    attempts: sqlite.prepare<[string], AttemptRow>("SELECT * FROM webhook_attempts WHERE job_id = ? ORDER BY attempted_at, attempt"),
  };

  const insertAll = (jobs: NewJob[] | undefined, now: number): void => {
    for (const job of jobs ?? []) {
      const inserted = statements.insert.run({
        id: job.id,
        queue: job.queue,
        maxAttempts: job.maxAttempts,
        runAt: job.runAt ?? now,
        parentId: job.parentId ?? null,
        now,
      });
      if (inserted.changes === 1) statements.insertPayload.run(job.id, JSON.stringify(job.payload));
    }
  };

  const enqueue = sqlite.transaction((job: NewJob, now: number, capacity: number | undefined): EnqueueOutcome => {
    const existing = statements.get.get(job.id);
    if (existing !== undefined) return { accepted: true, job: withPayload(existing) };
    if (capacity !== undefined) {
      const unfinished = (statements.queuedCount.get(job.queue)?.n ?? 0) + (statements.runningCount.get(job.queue)?.n ?? 0);
      if (unfinished >= capacity) return { accepted: false, reason: "full", unfinished };
    }
    insertAll([job], now);
    return { accepted: true, job: queuedRecord(job, now) };
  });

  const complete = sqlite.transaction((id: string, token: string, result: unknown, now: number, followUps?: NewJob[]): boolean => {
    const changed = statements.complete.run({ id, token, now, result: JSON.stringify(result ?? null) }).changes === 1;
    if (changed) insertAll(followUps, now);
    return changed;
  });

  const fail = sqlite.transaction(
    (
      id: string,
      token: string,
      error: string,
      now: number,
      retryAt: number | undefined,
      followUps?: NewJob[],
    ): "retrying" | "failed" | "stale" => {
      if (retryAt !== undefined && statements.retry.run({ id, token, error, runAt: retryAt }).changes === 1) return "retrying";
      if (statements.failFinal.run({ id, token, error, now }).changes !== 1) return "stale";
      insertAll(followUps, now);
      return "failed";
    },
  );

  const cancel = sqlite.transaction((id: string, now: number, followUps?: NewJob[]): boolean => {
    const changed = statements.cancel.run({ id, now }).changes === 1;
    if (changed) insertAll(followUps, now);
    return changed;
  });

  /**
   * Running jobs whose lease ends before `cutoff` go back to queued at `now`, or fail when out of
   * attempts, their follow-ups inserted in the same transaction.
   */
  const requeueExpired = sqlite.transaction((now: number, cutoff: number, followUpsFor?: LeaseFailureFollowUps): number => {
    const requeued = statements.requeueExpired.run({ now, cutoff }).changes;
    const failing = followUpsFor === undefined ? [] : statements.expiredOutOfAttempts.all({ cutoff });
    const failed = statements.failExpired.run({ now, cutoff, error: JSON.stringify(leaseExpired) }).changes;
    for (const row of failing) {
      const record: JobRecord = { ...withPayload(row), status: "failed", error: leaseExpired, finishedAt: now };
      insertAll(followUpsFor?.(record), now);
    }
    return requeued + failed;
  });

  const deleteFinished = sqlite.transaction((before: number): number => {
    const finished = statements.finishedBefore.all(before);
    for (const { id } of finished) {
      statements.deleteJob.run(id);
      statements.deletePayload.run(id);
      statements.deleteAttempts.run(id);
    }
    return finished.length;
  });

  const withPayload = (row: JobRow): JobRecord => toRecord(row, JSON.parse(statements.payload.get(row.id)?.payload ?? "null"));

  const claim = (queue: string, now: number, leaseMs: number): ClaimedJob | undefined => {
    const row = statements.claim.get({ queue, now, token: randomUUID(), expires: now + leaseMs });
    if (row === undefined) return undefined;
    return { ...withPayload(row), leaseToken: row.lease_token!, leaseExpiresAt: row.lease_expires_at! } satisfies ClaimedJob;
  };

  return {
    async enqueue(job, now, options = {}) {
      return enqueue(job, now, options.capacity);
    },
    async claim(queue, now, leaseMs) {
      return claim(queue, now, leaseMs);
    },
    async completeAndClaimNext(id, token, result, now, followUps, take) {
      // In process a round trip costs nothing: the completion, then the claim the worker would make.
      if (!complete(id, token, result, now, followUps)) return { stored: false };
      const next = claim(take.queue, now, take.leaseMs);
      return next === undefined ? { stored: true } : { stored: true, next };
    },
    async heartbeat(id, token, now, leaseMs) {
      return statements.heartbeat.run({ id, token, expires: now + leaseMs }).changes === 1;
    },
    async complete(id, token, result, now, followUps) {
      return complete(id, token, result, now, followUps);
    },
    async fail(id, token, error, now, options) {
      return fail(id, token, JSON.stringify(error), now, options.retryAt, options.followUps);
    },
    async release(id, token, now) {
      return statements.release.run({ id, token, now }).changes === 1;
    },
    async cancel(id, now, followUps) {
      return cancel(id, now, followUps);
    },
    async get(id) {
      const row = statements.get.get(id);
      return row === undefined ? undefined : withPayload(row);
    },
    async requeueExpired(now, followUpsFor) {
      return requeueExpired(now, now, followUpsFor);
    },
    async recoverRunning(now, followUpsFor) {
      return requeueExpired(now, Number.MAX_SAFE_INTEGER, followUpsFor);
    },
    async counts(queue) {
      const counts = {
        queued: statements.queuedCount.get(queue)?.n ?? 0,
        running: statements.runningCount.get(queue)?.n ?? 0,
        completed: 0,
        failed: 0,
        cancelled: 0,
      };
      for (const row of statements.finishedCounts.all(queue)) counts[row.status] = row.n;
      return counts;
    },
    async recentCompletions(queue, since, limit) {
      const count = statements.completedCount.get(queue, since)?.n ?? 0;
      const latenciesMs = statements.latencies.all(queue, since, limit).map((row) => row.latency);
      return { count, latenciesMs };
    },
    async nextRunAt(queue) {
      return statements.nextRunAt.get(queue)?.at ?? undefined;
    },
    async deleteFinished(before) {
      return deleteFinished(before);
    },
    async recordWebhookAttempt(attempt: WebhookAttempt) {
      statements.insertAttempt.run({
        ...attempt,
        statusCode: attempt.statusCode ?? null,
        error: attempt.error ?? null,
        ok: attempt.ok ? 1 : 0,
      });
    },
    async webhookAttempts(jobId) {
      return statements.attempts.all(jobId).map((row) => ({
        jobId: row.job_id,
        deliveryId: row.delivery_id,
        attempt: row.attempt,
        url: row.url,
        attemptedAt: row.attempted_at,
        durationMs: row.duration_ms,
        ...(row.status_code === null ? {} : { statusCode: row.status_code }),
        ...(row.error === null ? {} : { error: row.error }),
        ok: row.ok === 1,
      }));
    },
  };
}

function toRecord(row: JobRow, payload: unknown): JobRecord {
  return {
    id: row.id,
    queue: row.queue,
    status: row.status,
    payload,
    ...(row.result === null ? {} : { result: JSON.parse(row.result) }),
    ...(row.error === null ? {} : { error: JSON.parse(row.error) }),
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    runAt: row.run_at,
    ...(row.parent_id === null ? {} : { parentId: row.parent_id }),
    createdAt: row.created_at,
    ...(row.started_at === null ? {} : { startedAt: row.started_at }),
    ...(row.finished_at === null ? {} : { finishedAt: row.finished_at }),
  };
}
