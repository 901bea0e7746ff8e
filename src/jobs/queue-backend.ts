/**
 * Where jobs live. The queue and its workers only talk to this interface: the SQLite backend
 * (embedded) and the BullMQ one (several instances on Redis); `queue-backend.conformance.ts` is the
 * contract every backend must pass. All times are epoch milliseconds supplied by the
 * caller (an injected clock), never read inside the backend.
 */
export type JobStatus = "queued" | "running" | "completed" | "failed" | "cancelled";

export const unfinishedStatuses: readonly JobStatus[] = ["queued", "running"];

export interface JobError {
  code: string;
  message: string;
}

export interface JobRecord {
  id: string;
  queue: string;
  status: JobStatus;
  payload: unknown;
  result?: unknown;
  error?: JobError;
  /** Claims so far (a re-queued expired lease counts). */
  attempts: number;
  maxAttempts: number;
  /** Earliest time the job may be claimed (backoff). */
  runAt: number;
  /** The job this one belongs to (a webhook delivery's caption job). */
  parentId?: string;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
}

export interface NewJob {
  id: string;
  queue: string;
  payload: unknown;
  maxAttempts: number;
  runAt?: number;
  parentId?: string;
}

/** The record of a job a backend has just accepted: queued, never claimed, due at `runAt` (default: now). */
export function queuedRecord(job: NewJob, now: number): JobRecord {
  const record: JobRecord = {
    id: job.id,
    queue: job.queue,
    status: "queued",
    payload: job.payload,
    attempts: 0,
    maxAttempts: job.maxAttempts,
    runAt: job.runAt ?? now,
    createdAt: now,
  };
  if (job.parentId !== undefined) record.parentId = job.parentId;
  return record;
}

/** A job a worker holds. `leaseToken` proves ownership to heartbeat/complete/fail. */
export interface ClaimedJob extends JobRecord {
  leaseToken: string;
  leaseExpiresAt: number;
}

export interface WebhookAttempt {
  /** The caption job the delivery is about. */
  jobId: string;
  /** The webhook delivery job (also the `webhook-id` header). */
  deliveryId: string;
  attempt: number;
  url: string;
  attemptedAt: number;
  durationMs: number;
  statusCode?: number;
  error?: string;
  ok: boolean;
}

export interface QueueCounts {
  queued: number;
  running: number;
  completed: number;
  failed: number;
  cancelled: number;
}

export interface EnqueueOptions {
  /** Refuse when this many jobs of the queue are queued + running (checked atomically with the insert). */
  capacity?: number;
}

export type EnqueueOutcome = { accepted: true; job: JobRecord } | { accepted: false; reason: "full"; unfinished: number };

/** The error of a job failed for good because its worker stopped renewing its lease on the last attempt. */
export const leaseExpired: JobError = { code: "lease_expired", message: "the worker stopped responding on the last attempt" };

/** The follow-ups of a job the lease sweep failed for good (its record: status failed, error lease_expired). */
export type LeaseFailureFollowUps = (job: JobRecord) => NewJob[];

export interface QueueBackend {
  /**
   * Durably stores a job before resolving. Re-enqueueing an existing id is a no-op that
   * returns the stored job (idempotent submission).
   */
  enqueue(job: NewJob, now: number, options?: EnqueueOptions): Promise<EnqueueOutcome>;
  /** Atomically takes the oldest runnable job of a queue, or undefined. */
  claim(queue: string, now: number, leaseMs: number): Promise<ClaimedJob | undefined>;
  /** Extends a lease; false when the job is no longer this claim's (cancelled, expired and re-claimed). */
  heartbeat(jobId: string, leaseToken: string, now: number, leaseMs: number): Promise<boolean>;
  /**
   * Stores the result once; false (and nothing written) if the claim is stale. Follow-up
   * jobs (webhook deliveries) are enqueued in the same transaction, idempotently by id.
   */
  complete(jobId: string, leaseToken: string, result: unknown, now: number, followUps?: NewJob[]): Promise<boolean>;
  /**
   * `complete`, then `claim(next.queue, now, next.leaseMs)` (the completed job's queue), as a
   * worker does between two jobs: in one round trip where the backend can (BullMQ's completion
   * hands out the next job). Nothing is claimed when the completion is stale. The next claim's
   * `leaseToken` may be the completed one's: a token stays unique to one claimer, which holds one
   * job at a time.
   */
  completeAndClaimNext(
    jobId: string,
    leaseToken: string,
    result: unknown,
    now: number,
    followUps: NewJob[] | undefined,
    next: { queue: string; leaseMs: number },
  ): Promise<{ stored: boolean; next?: ClaimedJob }>;
  /**
   * Records a failed attempt. With `retryAt` and attempts left, the job goes back to
   * queued at `retryAt`; otherwise it fails for good and `followUps` are enqueued.
   */
  fail(
    jobId: string,
    leaseToken: string,
    error: JobError,
    now: number,
    options: { retryAt?: number; followUps?: NewJob[] },
  ): Promise<"retrying" | "failed" | "stale">;
  /** Gives a running job back unfinished (graceful shutdown): queued again now, the attempt not counted. */
  release(jobId: string, leaseToken: string, now: number): Promise<boolean>;
  /** Cancels a queued or running job; false when it is already finished or unknown. */
  cancel(jobId: string, now: number, followUps?: NewJob[]): Promise<boolean>;
  get(jobId: string): Promise<JobRecord | undefined>;
  /**
   * Running jobs whose lease expired go back to queued, or fail for good (`lease_expired`) when
   * out of attempts; a job failed so gets `followUpsFor(job)`'s jobs (its "failed" webhook)
   * enqueued with its failure, as `fail` enqueues its follow-ups: exactly once however many
   * processes sweep, and never beside a follow-up the dead claim had parked. Returns how many moved.
   */
  requeueExpired(now: number, followUpsFor?: LeaseFailureFollowUps): Promise<number>;
  /**
   * Every running job, whatever its lease, goes back to queued (or fails when out of attempts, as
   * `requeueExpired`). Only for a process that knows no other worker is alive (it holds the data-dir lock).
   */
  recoverRunning(now: number, followUpsFor?: LeaseFailureFollowUps): Promise<number>;
  counts(queue: string): Promise<QueueCounts>;
  /** How many jobs finished (completed) since `since`, and their latencies (created → finished), newest first. */
  recentCompletions(queue: string, since: number, limit: number): Promise<{ count: number; latenciesMs: number[] }>;
  /** The earliest `runAt` among queued jobs of a queue, for a worker deciding how long to sleep. */
  nextRunAt(queue: string): Promise<number | undefined>;
  /** Deletes finished jobs (and their attempt records) that finished before `before`. */
  deleteFinished(before: number): Promise<number>;
  recordWebhookAttempt(attempt: WebhookAttempt): Promise<void>;
  webhookAttempts(jobId: string): Promise<WebhookAttempt[]>;
  /**
   * A shared backend's wake-up: blocks (a few seconds at most, or until `signal` aborts) until a
   * job of `queue` may be claimable, pushed by any process, then claims like `claim` at `clock()`.
   * Idle workers then sleep without polling. Absent: the backend is only written by this process,
   * which wakes its own workers.
   */
  waitAndClaim?(queue: string, clock: () => number, leaseMs: number, signal: AbortSignal): Promise<ClaimedJob | undefined>;
}
