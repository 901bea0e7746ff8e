import { randomUUID } from "node:crypto";
import { type Job, Queue, QueueEvents, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { ClaimedJob, JobError, JobRecord, NewJob, QueueBackend, QueueCounts, WebhookAttempt } from "./queue-backend.ts";
import { toQueueUnavailable } from "./queue-unavailable.ts";

export interface BullmqQueueBackendOptions {
  /** Commands (fail fast when Redis is down: a submission gets a 503, not a hang). */
  redis: Redis;
  /** Opens the connections BullMQ blocks on (workers, queue events): they retry for ever. */
  blockingConnection: () => Redis;
  prefix: string;
  /** How long a follow-up (webhook) stays parked if the process dies between finishing a job and releasing it. */
  parkMs?: number;
  /** How often BullMQ looks for jobs whose instance stopped renewing their lock (default 30 s). */
  stalledIntervalMs?: number;
  /** Recorded on each job BullMQ hands out (`processedBy`): which instance ran it. */
  instanceName?: string;
}

/** What BullMQ keeps of a job: the parts that never change after enqueue. */
interface JobData {
  payload: unknown;
  maxAttempts: number;
  parentId?: string;
  createdAt: number;
}

/** Station's own fields per job, in a Redis hash next to BullMQ's (attempt counting, leases, tombstones). */
interface JobMeta {
  attempts?: string;
  runAt?: string;
  startedAt?: string;
  finishedAt?: string;
  leaseToken?: string;
  leaseExpiresAt?: string;
  error?: string;
  /** Set once a job is cancelled: BullMQ's copy is removed and this hash is the record. */
  cancelled?: string;
}

/** BullMQ reserves ':' in job ids (Station's follow-ups are "<job>:webhook"-like): escaped both ways. */
const toBullId = (id: string) => id.replaceAll("%", "%25").replaceAll(":", "%3A");
const fromBullId = (id: string) => id.replaceAll("%3A", ":").replaceAll("%25", "%");

const lockReleaseScript = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`;

/**
 * The queue on Redis through BullMQ, for several Station instances: BullMQ stores and hands
 * out jobs (FIFO, delays for backoff, per-claim lock tokens, stalled-job recovery when an
 * instance dies, events that wake idle workers). Station adds what BullMQ has no notion of,
 * in a hash per job: its attempt count (a release on shutdown does not spend one), the lease
 * it reports, and cancellation (BullMQ cannot fail a waiting job, so a cancelled job is
 * removed from BullMQ and its hash becomes the record). Every time comes from the caller.
 *
 * A result is written once: completion goes through BullMQ's lock token, so a worker whose
 * lease was lost cannot overwrite the attempt that replaced it. Follow-up jobs (webhooks) are
 * added, parked, before the job completes and released right after: a crash in between
 * leaves a parked follow-up that runs when its park ends, never a finished job without one.
 */
export function createBullmqQueueBackend(options: BullmqQueueBackendOptions): QueueBackend & {
  /** Starts BullMQ's stalled-job checkers (jobs of a dead instance go back to waiting). */
  startRecovery(queues: string[]): Promise<void>;
  close(): Promise<void>;
} {
  const { redis, prefix } = options;
  const parkMs = options.parkMs ?? 30_000;
  const key = (...parts: string[]) => [prefix, "station", ...parts].join(":");
  const queues = new Map<string, Queue>();
  const workers = new Map<string, Worker>();
  const events: QueueEvents[] = [];

  const queueFor = (name: string): Queue => {
    let queue = queues.get(name);
    if (queue === undefined) {
      queue = new Queue(name, { connection: redis, prefix, skipVersionCheck: true });
      queues.set(name, queue);
    }
    return queue;
  };
  const workerFor = (name: string): Worker => {
    let worker = workers.get(name);
    if (worker === undefined) {
      worker = new Worker(name, undefined, {
        connection: options.blockingConnection(),
        prefix,
        autorun: false,
        ...(options.instanceName === undefined ? {} : { name: options.instanceName }),
        stalledInterval: options.stalledIntervalMs ?? 30_000,
        // Station counts attempts itself; a job that stalls goes back to waiting, however often.
        maxStalledCount: 1_000_000,
        skipVersionCheck: true,
      });
      worker.on("error", () => undefined);
      workers.set(name, worker);
    }
    return worker;
  };
  const metaKey = (id: string) => key("job", id);
  const readMeta = async (id: string): Promise<JobMeta> => (await redis.hgetall(metaKey(id))) as JobMeta;
  const queueOf = async (id: string): Promise<string | null> => redis.hget(key("queue-of"), id);
  const jobOf = async (id: string): Promise<{ queue: string; job: Job | undefined } | undefined> => {
    const name = await queueOf(id);
    if (name === null) return undefined;
    return { queue: name, job: await queueFor(name).getJob(toBullId(id)) };
  };

  const record = async (queue: string, job: Job | undefined, meta: JobMeta, id: string): Promise<JobRecord | undefined> => {
    const data = (job?.data ?? (meta.cancelled === undefined ? undefined : JSON.parse(meta.cancelled))) as JobData | undefined;
    if (data === undefined) return undefined;
    const state = meta.cancelled !== undefined || job === undefined ? "cancelled" : await job.getState();
    const status: JobRecord["status"] =
      state === "cancelled"
        ? "cancelled"
        : state === "active"
          ? "running"
          : state === "completed"
            ? "completed"
            : state === "failed"
              ? "failed"
              : "queued";
    const number = (value: string | undefined) => (value === undefined || value === "" ? undefined : Number(value));
    const finishedAt = number(meta.finishedAt) ?? (status === "completed" || status === "failed" ? job?.finishedOn : undefined);
    const startedAt = number(meta.startedAt);
    return {
      id,
      queue,
      status,
      payload: data.payload,
      ...(status === "completed" && job !== undefined ? { result: job.returnvalue } : {}),
      ...(meta.error === undefined ? {} : { error: JSON.parse(meta.error) as JobError }),
      attempts: number(meta.attempts) ?? 0,
      maxAttempts: data.maxAttempts,
      runAt: number(meta.runAt) ?? data.createdAt,
      ...(data.parentId === undefined ? {} : { parentId: data.parentId }),
      createdAt: data.createdAt,
      ...(startedAt === undefined ? {} : { startedAt }),
      ...(finishedAt === undefined ? {} : { finishedAt }),
    };
  };

  /** Adds jobs to BullMQ (idempotent by id); `parkUntil` adds them delayed, to be released by `unpark`. */
  const addAll = async (jobs: NewJob[] | undefined, now: number, parkUntil?: number): Promise<void> => {
    for (const job of jobs ?? []) {
      const runAt = parkUntil ?? job.runAt ?? now;
      await redis
        .multi()
        .hset(key("queue-of"), job.id, job.queue)
        .hset(metaKey(job.id), "runAt", String(job.runAt ?? now))
        .exec();
      const data: JobData = {
        payload: job.payload,
        maxAttempts: job.maxAttempts,
        ...(job.parentId === undefined ? {} : { parentId: job.parentId }),
        createdAt: now,
      };
      await queueFor(job.queue).add(job.queue, data, {
        jobId: toBullId(job.id),
        timestamp: now,
        delay: Math.max(0, runAt - now),
        attempts: 1,
        removeOnComplete: false,
        removeOnFail: false,
      });
    }
  };
  const unpark = async (jobs: NewJob[] | undefined, now: number): Promise<void> => {
    for (const job of jobs ?? []) {
      const parked = await queueFor(job.queue).getJob(toBullId(job.id));
      if (parked === undefined || (await parked.getState()) !== "delayed") continue;
      if ((job.runAt ?? now) <= now) await parked.promote().catch(() => undefined);
      else await parked.changeDelay((job.runAt ?? now) - now).catch(() => undefined);
    }
  };

  /** True when `token` is the claim this job's lease was last given to. */
  const owns = async (id: string, token: string): Promise<boolean> => (await redis.hget(metaKey(id), "leaseToken")) === token;
  const clearLease = async (id: string, fields: Record<string, string> = {}): Promise<void> => {
    await redis
      .multi()
      .hdel(metaKey(id), "leaseToken", "leaseExpiresAt")
      .zrem(key("leases"), id)
      .hset(metaKey(id), { ...fields, _: "1" })
      .exec();
  };

  const withLock = async <T>(name: string, run: () => Promise<T>): Promise<T> => {
    const lock = key("enqueue-lock", name);
    const token = randomUUID();
    // Capacity is checked and the job added under one lock per queue, so two instances can never both take the last slot.
    for (let spins = 0; (await redis.set(lock, token, "PX", 5000, "NX")) !== "OK"; spins++) {
      if (spins > 2000) throw new Error("the queue's enqueue lock stayed taken");
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    try {
      return await run();
    } finally {
      await redis.eval(lockReleaseScript, 1, lock, token);
    }
  };

  const counts = async (name: string): Promise<QueueCounts> => {
    const bull = await queueFor(name).getJobCounts(
      "waiting",
      "delayed",
      "prioritized",
      "waiting-children",
      "active",
      "completed",
      "failed",
    );
    const cancelled = await redis.scard(key("cancelled", name));
    return {
      queued: (bull.waiting ?? 0) + (bull.delayed ?? 0) + (bull.prioritized ?? 0) + (bull["waiting-children"] ?? 0),
      running: bull.active ?? 0,
      completed: bull.completed ?? 0,
      failed: bull.failed ?? 0,
      cancelled,
    };
  };

  /** Leases that ended before `cutoff` go back to queued at `now`, or fail when out of attempts. */
  const requeue = async (now: number, cutoff: number): Promise<number> => {
    const expired = await redis.zrangebyscore(key("leases"), "-inf", `(${cutoff}`);
    let moved = 0;
    for (const id of expired) {
      const found = await jobOf(id);
      const meta = await readMeta(id);
      const token = meta.leaseToken;
      if (found?.job === undefined || token === undefined) {
        await clearLease(id);
        continue;
      }
      const attempts = Number(meta.attempts ?? 0);
      const maxAttempts = (found.job.data as JobData).maxAttempts;
      // The lease is Station's (the caller's clock); BullMQ's lock may have lapsed already
      // while the job still sits in active: then nobody holds it, and "0" moves it without one.
      const lock = (await redis.exists(`${queueFor(found.queue).toKey(toBullId(id))}:lock`)) === 1 ? token : "0";
      // Finished meanwhile (its instance died before clearing the lease): nothing to move.
      if (lock === "0" && (await found.job.getState()) !== "active") {
        await clearLease(id);
        continue;
      }
      try {
        if (attempts < maxAttempts) {
          await found.job.moveToDelayed(now, lock);
          await clearLease(id, { runAt: String(now) });
        } else {
          const error: JobError = { code: "lease_expired", message: "the worker stopped responding on the last attempt" };
          await found.job.moveToFailed(new Error(error.message), lock, false);
          await clearLease(id, { error: JSON.stringify(error), finishedAt: String(now) });
        }
        moved++;
      } catch {
        // BullMQ's own stalled check got there first (or the job settled meanwhile): nothing left to move.
        await clearLease(id);
      }
    }
    return moved;
  };

  const backend: ReturnType<typeof createBullmqQueueBackend> = {
    async enqueue(job, now, enqueueOptions = {}) {
      const existing = await backend.get(job.id);
      if (existing !== undefined) return { accepted: true, job: existing };
      const accept = async () => {
        if (enqueueOptions.capacity !== undefined) {
          const current = await counts(job.queue);
          const unfinished = current.queued + current.running;
          if (unfinished >= enqueueOptions.capacity) return { accepted: false as const, reason: "full" as const, unfinished };
        }
        await addAll([job], now);
        return { accepted: true as const, job: (await backend.get(job.id))! };
      };
      return enqueueOptions.capacity === undefined ? accept() : withLock(job.queue, accept);
    },
    async claim(name, now, leaseMs) {
      for (;;) {
        const token = randomUUID();
        const job = await workerFor(name).getNextJob(token, { block: false });
        if (job === undefined || job.id === undefined) return undefined;
        const id = fromBullId(job.id);
        const meta = await readMeta(id);
        const data = job.data as JobData;
        const attempts = Number(meta.attempts ?? 0) + 1;
        if (attempts > data.maxAttempts) {
          // Recovered by BullMQ's stalled check after its last attempt: that attempt is spent.
          const error: JobError = { code: "lease_expired", message: "the worker stopped responding on the last attempt" };
          await job.moveToFailed(new Error(error.message), token, false).catch(() => undefined);
          await clearLease(id, { error: JSON.stringify(error), finishedAt: String(now) });
          continue;
        }
        await job.extendLock(token, leaseMs);
        const startedAt = meta.startedAt ?? String(now);
        await redis
          .multi()
          .hset(metaKey(id), { attempts: String(attempts), leaseToken: token, leaseExpiresAt: String(now + leaseMs), startedAt })
          .zadd(key("leases"), now + leaseMs, id)
          .exec();
        const claimed = await record(name, job, { ...meta, attempts: String(attempts), startedAt }, id);
        return { ...claimed!, status: "running", leaseToken: token, leaseExpiresAt: now + leaseMs } satisfies ClaimedJob;
      }
    },
    async heartbeat(id, token, now, leaseMs) {
      if (!(await owns(id, token))) return false;
      const found = await jobOf(id);
      if (found?.job === undefined) return false;
      const extended = await found.job.extendLock(token, leaseMs).catch(() => 0);
      if (!extended) return false;
      await redis
        .multi()
        .hset(metaKey(id), "leaseExpiresAt", String(now + leaseMs))
        .zadd(key("leases"), now + leaseMs, id)
        .exec();
      return true;
    },
    async complete(id, token, result, now, followUps) {
      if (!(await owns(id, token))) return false;
      const found = await jobOf(id);
      if (found?.job === undefined) return false;
      await addAll(followUps, now, now + parkMs);
      try {
        await found.job.moveToCompleted(result ?? null, token, false);
      } catch {
        return false;
      }
      await clearLease(id, { finishedAt: String(now) });
      await unpark(followUps, now);
      return true;
    },
    async fail(id, token, error, now, failOptions) {
      if (!(await owns(id, token))) return "stale";
      const found = await jobOf(id);
      if (found?.job === undefined) return "stale";
      const meta = await readMeta(id);
      const attempts = Number(meta.attempts ?? 0);
      const maxAttempts = (found.job.data as JobData).maxAttempts;
      if (failOptions.retryAt !== undefined && attempts < maxAttempts) {
        try {
          await found.job.moveToDelayed(failOptions.retryAt, token);
        } catch {
          return "stale";
        }
        await clearLease(id, { error: JSON.stringify(error), runAt: String(failOptions.retryAt) });
        return "retrying";
      }
      await addAll(failOptions.followUps, now, now + parkMs);
      try {
        await found.job.moveToFailed(new Error(error.message), token, false);
      } catch {
        return "stale";
      }
      await clearLease(id, { error: JSON.stringify(error), finishedAt: String(now) });
      await unpark(failOptions.followUps, now);
      return "failed";
    },
    async release(id, token, now) {
      if (!(await owns(id, token))) return false;
      const found = await jobOf(id);
      if (found?.job === undefined) return false;
      try {
        await found.job.moveToDelayed(now, token);
      } catch {
        return false;
      }
      const attempts = Math.max(0, Number((await readMeta(id)).attempts ?? 1) - 1);
      await clearLease(id, { attempts: String(attempts), runAt: String(now) });
      return true;
    },
    async cancel(id, now, followUps) {
      const found = await jobOf(id);
      if (found?.job === undefined) return false;
      const { job, queue } = found;
      const state = await job.getState();
      if (state === "completed" || state === "failed" || state === "unknown") return false;
      const meta = await readMeta(id);
      if (state === "active") {
        // The lock is the running claim's; failing the job with it frees it, then BullMQ's copy can go.
        if (meta.leaseToken === undefined) return false;
        await job.moveToFailed(new Error("cancelled"), meta.leaseToken, false).catch(() => undefined);
      }
      await redis
        .multi()
        .hset(metaKey(id), { cancelled: JSON.stringify(job.data), finishedAt: String(now) })
        .sadd(key("cancelled", queue), id)
        .exec();
      await clearLease(id);
      await job.remove().catch(() => undefined);
      await addAll(followUps, now);
      return true;
    },
    async get(id) {
      const found = await jobOf(id);
      if (found === undefined) return undefined;
      return record(found.queue, found.job, await readMeta(id), id);
    },
    requeueExpired: (now) => requeue(now, now),
    recoverRunning: (now) => requeue(now, Number.MAX_SAFE_INTEGER),
    counts,
    async recentCompletions(name, since, limit) {
      const completedKey = queueFor(name).keys.completed!;
      const count = await redis.zcount(completedKey, since, "+inf");
      const ids = await redis.zrevrangebyscore(completedKey, "+inf", since, "LIMIT", 0, limit);
      const latenciesMs: number[] = [];
      for (const bullId of ids) {
        const [finishedOn, timestamp] = await redis.hmget(queueFor(name).toKey(bullId), "finishedOn", "timestamp");
        if (finishedOn !== null && timestamp !== null) latenciesMs.push(Number(finishedOn) - Number(timestamp));
      }
      return { count, latenciesMs };
    },
    async nextRunAt(name) {
      const queue = queueFor(name);
      const oldestWaiting = await redis.lindex(queue.keys.wait!, -1);
      const [firstDelayed] = await queue.getDelayed(0, 0);
      const candidates: number[] = [];
      if (oldestWaiting !== null) candidates.push(Number((await redis.hget(metaKey(fromBullId(oldestWaiting)), "runAt")) ?? 0));
      if (firstDelayed !== undefined) candidates.push(firstDelayed.timestamp + firstDelayed.delay);
      return candidates.length === 0 ? undefined : Math.min(...candidates);
    },
    async deleteFinished(before) {
      let deleted = 0;
      const names = new Set(Object.values(await redis.hgetall(key("queue-of"))));
      for (const name of names) {
        const queue = queueFor(name);
        for (const finishedKey of [queue.keys.completed!, queue.keys.failed!]) {
          for (const bullId of await redis.zrangebyscore(finishedKey, "-inf", `(${before}`)) {
            const id = fromBullId(bullId);
            await queue.remove(bullId);
            deleted++;
            await redis.multi().del(metaKey(id), key("attempts", id)).hdel(key("queue-of"), id).exec();
          }
        }
        for (const id of await redis.smembers(key("cancelled", name))) {
          const finishedAt = Number(await redis.hget(metaKey(id), "finishedAt"));
          if (!(finishedAt < before)) continue;
          deleted++;
          await redis.multi().del(metaKey(id), key("attempts", id)).hdel(key("queue-of"), id).srem(key("cancelled", name), id).exec();
        }
      }
      return deleted;
    },
    async recordWebhookAttempt(attempt: WebhookAttempt) {
      await redis.rpush(key("attempts", attempt.jobId), JSON.stringify(attempt));
    },
    async webhookAttempts(jobId) {
      const rows = (await redis.lrange(key("attempts", jobId), 0, -1)).map((row) => JSON.parse(row) as WebhookAttempt);
      // One row per (delivery, attempt): a retried record replaces the earlier one, as the SQL table's key does.
      const unique = new Map(rows.map((row) => [`${row.deliveryId}:${row.attempt}`, row]));
      return [...unique.values()].sort((a, b) => a.attemptedAt - b.attemptedAt || a.attempt - b.attempt);
    },
    subscribe(name, onReady) {
      const queueEvents = new QueueEvents(name, { connection: options.blockingConnection(), prefix, skipVersionCheck: true });
      queueEvents.on("error", () => undefined);
      events.push(queueEvents);
      const timers = new Set<NodeJS.Timeout>();
      queueEvents.on("waiting", () => onReady());
      // A delayed job (backoff, a release, a parked follow-up) is due at `delay` (a timestamp): wake then.
      queueEvents.on("delayed", ({ delay }) => {
        const timer = setTimeout(
          () => {
            timers.delete(timer);
            onReady();
          },
          Math.max(0, Number(delay) - Date.now()),
        );
        timer.unref();
        timers.add(timer);
      });
      return () => {
        for (const timer of timers) clearTimeout(timer);
        void queueEvents.close();
      };
    },
    async startRecovery(names) {
      for (const name of names) {
        const worker = workerFor(name);
        void worker.startStalledCheckTimer().catch(() => undefined);
      }
    },
    async close() {
      await Promise.all([
        ...events.map((queueEvents) => queueEvents.close()),
        ...[...workers.values()].map((worker) => worker.close(true)),
      ]);
      await Promise.all([...queues.values()].map((queue) => queue.close()));
    },
  };
  return wrapErrors(backend);
}

/** Redis failures (down, unreachable, timed out) leave every method as a 503 queue_unavailable. */
function wrapErrors<T extends object>(backend: T): T {
  const wrapped = {} as Record<string, unknown>;
  for (const [name, value] of Object.entries(backend)) {
    wrapped[name] =
      typeof value === "function" && name !== "subscribe"
        ? async (...args: unknown[]) => {
            try {
              return await (value as (...inner: unknown[]) => Promise<unknown>)(...args);
            } catch (error) {
              throw toQueueUnavailable(error);
            }
          }
        : value;
  }
  return wrapped as T;
}
