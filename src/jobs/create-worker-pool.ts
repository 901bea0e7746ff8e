import { isStationError, StationError } from "../errors/station-error.ts";
import type { Logger } from "../logging/create-logger.ts";
import type { Backoff } from "./exponential-backoff.ts";
import type { ClaimedJob, JobError, NewJob, QueueBackend } from "./queue-backend.ts";

export interface WorkerPoolOptions {
  backend: QueueBackend;
  queue: string;
  concurrency: number;
  leaseMs: number;
  /** Per-attempt time limit; the handler's signal aborts when it passes. */
  jobTimeoutMs: number;
  backoff: Backoff;
  /** Runs one job; throw a StationError with `isRetryable` to have it retried. */
  handler: (job: ClaimedJob, signal: AbortSignal) => Promise<unknown>;
  /** Jobs to enqueue atomically when a job finishes (completed, failed for good). */
  followUps?: (job: ClaimedJob, outcome: { status: "completed"; result: unknown } | { status: "failed"; error: JobError }) => NewJob[];
  /** Called after a settle that enqueued follow-ups, so their pool can wake at once. */
  onFollowUps?: () => void;
  logger: Logger;
  /** Applied to a failure's message before it is stored, polled and sent in webhooks (configured secrets). */
  redact?: (text: string) => string;
  now?: () => number;
  /**
   * How often idle workers look for work enqueued by other processes or due after backoff.
   * Default 250 ms; unused with a backend that wakes its workers itself (`waitAndClaim`).
   */
  pollIntervalMs?: number;
}

export interface WorkerPool {
  start(): void;
  /** Wakes up to `count` idle workers now (default one: one job was just enqueued in this process). */
  wake(count?: number): void;
  /** Aborts a job this process is running (cancellation). */
  abort(jobId: string): void;
  /** Stops claiming, aborts running jobs (their leases expire and they run again) and waits for the workers. */
  stop(): Promise<void>;
  readonly running: number;
}

/**
 * N workers that claim, run and settle jobs of one queue. A running job's lease is renewed
 * by heartbeats; if the heartbeat finds the job gone (cancelled, lease lost) the handler is
 * aborted. Results and failures are written through the lease token, so a worker that lost
 * its lease can never overwrite a newer attempt.
 */
export function createWorkerPool(options: WorkerPoolOptions): WorkerPool {
  const now = options.now ?? Date.now;
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const waitAndClaim = options.backend.waitAndClaim?.bind(options.backend);
  // Wakes that found no idle worker (all busy claiming or running): the next sleep is skipped,
  // so a job announced while workers were busy is never left waiting for the poll.
  let pendingWakes = 0;
  let blockedWorker = false;
  /** An idle worker of `loop` polls; the other idle ones sleep until woken. */
  let pollerIdle = false;
  const stopped = new AbortController();
  const controllers = new Map<string, AbortController>();
  const waiters = new Set<() => void>();
  const workers: Promise<void>[] = [];
  let stopping = false;

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (pendingWakes > 0) {
        pendingWakes--;
        resolve();
        return;
      }
      const done = (): void => {
        clearTimeout(timer);
        waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      waiters.add(done);
    });

  /**
   * Runs and settles `job`. A completion also claims the next job of the queue (`next`, to run
   * now); `lookedForNext` says a completion looked and found none, so a claim now would find none.
   */
  const run = async (job: ClaimedJob): Promise<{ next?: ClaimedJob; lookedForNext?: true }> => {
    // One controller and one timer per job: cancellation, lost lease, timeout and shutdown all abort it.
    const controller = new AbortController();
    const signal = controller.signal;
    controllers.set(job.id, controller);
    let timedOut = false;
    const deadline = setTimeout(() => {
      timedOut = true;
      const message = `the job ran longer than ${options.jobTimeoutMs} ms`;
      controller.abort(new StationError({ code: "job_timeout", status: 504, message, isRetryable: true }));
    }, options.jobTimeoutMs);
    const heartbeat = setInterval(
      () => {
        options.backend.heartbeat(job.id, job.leaseToken, now(), options.leaseMs).then(
          (owned) => {
            if (owned) return;
            controller.abort(new StationError({ code: "job_not_owned", status: 409, message: "the job was cancelled or its lease lost" }));
          },
          (error: unknown) => options.logger.warn({ err: error, jobId: job.id }, "heartbeat failed"),
        );
      },
      Math.max(50, Math.floor(options.leaseMs / 3)),
    );
    try {
      const result = await options.handler(job, signal);
      if (signal.aborted) throw signal.reason;
      const followUps = options.followUps?.(job, { status: "completed", result });
      const settled = stopping
        ? { stored: await options.backend.complete(job.id, job.leaseToken, result, now(), followUps) }
        : await options.backend.completeAndClaimNext(job.id, job.leaseToken, result, now(), followUps, {
            queue: options.queue,
            leaseMs: options.leaseMs,
          });
      if (settled.stored && followUps !== undefined && followUps.length > 0) options.onFollowUps?.();
      if (settled.next !== undefined) return { next: settled.next };
      return settled.stored && !stopping ? { lookedForNext: true } : {};
    } catch (caught) {
      if (stopping) {
        await options.backend.release(job.id, job.leaseToken, now());
        return {};
      }
      if (signal.aborted && !timedOut) return {}; // cancelled or lease lost: whoever holds the job now settles it
      const error = timedOut ? signal.reason : caught;
      const jobError = toJobError(error, options.redact);
      const retryable = isStationError(error) ? error.isRetryable : false;
      const retryAt = retryable && job.attempts < job.maxAttempts ? now() + options.backoff(job.attempts) : undefined;
      const followUps = retryAt === undefined ? options.followUps?.(job, { status: "failed", error: jobError }) : undefined;
      const outcome = await options.backend.fail(job.id, job.leaseToken, jobError, now(), {
        ...(retryAt === undefined ? {} : { retryAt }),
        ...(followUps === undefined ? {} : { followUps }),
      });
      if (outcome === "failed" && followUps !== undefined && followUps.length > 0) options.onFollowUps?.();
      options.logger.debug({ jobId: job.id, queue: options.queue, outcome, code: jobError.code }, "job attempt failed");
      return {};
    } finally {
      clearTimeout(deadline);
      clearInterval(heartbeat);
      controllers.delete(job.id);
    }
  };

  /** Runs `job`, then each job its completion handed out, until one hands out none; true when that one looked. */
  const settle = async (first: ClaimedJob): Promise<boolean> => {
    let job: ClaimedJob | undefined = first;
    let lookedForNext = false;
    while (job !== undefined) {
      if (stopping) {
        // Handed out while the pool was stopping: back to the queue, the attempt not spent.
        const late: ClaimedJob = job;
        await options.backend.release(late.id, late.leaseToken, now()).catch((error: unknown) => {
          options.logger.error({ err: error, jobId: late.id }, "giving a job back failed; its lease will expire and it will run again");
        });
        return false;
      }
      const current: ClaimedJob = job;
      const settled = await run(current).catch((error: unknown) => {
        options.logger.error({ err: error, jobId: current.id }, "settling a job failed; its lease will expire and it will run again");
        return {} as Awaited<ReturnType<typeof run>>;
      });
      job = settled.next;
      lookedForNext = settled.lookedForNext === true;
    }
    return lookedForNext;
  };

  /**
   * Claims and runs jobs; an idle worker sleeps. One idle worker at a time polls (every
   * pollIntervalMs, for jobs due after a backoff or written by another process); the others
   * sleep until a wake (a job enqueued here, a re-queued lease) or until the poller takes a job
   * and hands the polling on, so an idle pool costs one claim per interval, not one per worker.
   */
  const loop = async (): Promise<void> => {
    let polling = false;
    while (!stopping) {
      let job: ClaimedJob | undefined;
      try {
        job = await options.backend.claim(options.queue, now(), options.leaseMs);
      } catch (error) {
        options.logger.error({ err: error, queue: options.queue }, "claiming a job failed");
      }
      if (job !== undefined && polling) {
        polling = false;
        pollerIdle = false;
        wakeOne();
      }
      // A last completion that found the queue empty stands for the claim that would find it so.
      if (job !== undefined && !(await settle(job))) continue;
      if (!polling && pollerIdle) {
        await sleep(idleSleepMs);
        continue;
      }
      polling = true;
      pollerIdle = true;
      await sleep(pollIntervalMs);
    }
    if (polling) pollerIdle = false;
  };

  /**
   * With a backend that wakes workers (BullMQ), one idle worker at a time blocks in it and the
   * others sleep until it takes a job and hands the wait on; a worker that finishes a job blocks
   * in turn only if no other does. No worker polls, and none claims just to find nothing: the
   * backend's wake-up (BullMQ's marker) is there whenever a job waits.
   */
  const blockingLoop = async (waitAndClaim: NonNullable<QueueBackend["waitAndClaim"]>): Promise<void> => {
    while (!stopping) {
      if (blockedWorker) {
        await sleep(idleSleepMs);
        continue;
      }
      let job: ClaimedJob | undefined;
      blockedWorker = true;
      try {
        job = await waitAndClaim(options.queue, now, options.leaseMs, stopped.signal);
      } catch (error) {
        options.logger.error({ err: error, queue: options.queue }, "waiting for a job failed");
        await sleep(pollIntervalMs);
      } finally {
        blockedWorker = false;
      }
      if (job === undefined) continue;
      wakeOne();
      await settle(job);
    }
  };

  const wakeOne = (): void => {
    const [idle] = waiters;
    idle?.();
  };

  const pool: WorkerPool = {
    start() {
      for (let index = 0; index < options.concurrency; index++) {
        workers.push(waitAndClaim === undefined ? loop() : blockingLoop(waitAndClaim));
      }
    },
    wake(count = 1) {
      // The backend's own wake-up reaches the blocked worker of whichever instance is idle.
      if (waitAndClaim !== undefined) return;
      // One job needs one worker: waking them all would send N claims after every submit.
      const idle = [...waiters].slice(0, count);
      for (const waiter of idle) waiter();
      pendingWakes = Math.min(options.concurrency, pendingWakes + count - idle.length);
    },
    abort(jobId) {
      controllers.get(jobId)?.abort(new StationError({ code: "job_cancelled", status: 409, message: "the job was cancelled" }));
    },
    async stop() {
      stopping = true;
      stopped.abort();
      for (const waiter of [...waiters]) waiter();
      for (const controller of controllers.values())
        controller.abort(new StationError({ code: "shutting_down", status: 503, message: "Station is stopping" }));
      await Promise.all(workers);
    },
    get running() {
      return controllers.size;
    },
  };
  return pool;
}

/** How long a worker that neither polls nor blocks sleeps unless woken: a bound, not a schedule. */
const idleSleepMs = 60_000;

function toJobError(error: unknown, redact?: (text: string) => string): JobError {
  if (isStationError(error)) return { code: error.code, message: redact === undefined ? error.message : redact(error.message) };
  return { code: "internal_error", message: "the job failed unexpectedly" };
}
