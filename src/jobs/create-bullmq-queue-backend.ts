import { randomUUID } from "node:crypto";
import { Job, Queue, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { clearLeaseScript, reserveSlotScript, takeClaimScript } from "./bullmq-station-scripts.ts";
import type { ClaimedJob, JobError, JobRecord, NewJob, QueueBackend, QueueCounts, WebhookAttempt } from "./queue-backend.ts";
import { toQueueUnavailable } from "./queue-unavailable.ts";

export interface BullmqQueueBackendOptions {
  /** Station's own commands (fail fast when Redis is down: a submission gets a 503, not a hang); auto-pipelined at best. */
  redis: Redis;
  /** BullMQ's queues' connection (fails fast too); no other commands are sent on it. */
  queueConnection: Redis;
  /** Opens the connections BullMQ blocks on (the workers' wait for new jobs): they retry for ever. */
  blockingConnection: () => Redis;
  prefix: string;
  /** How long a follow-up (webhook) stays parked if the process dies between finishing a job and releasing it. */
  parkMs?: number;
  /** How often BullMQ looks for jobs whose instance stopped renewing their lock (default 30 s). */
  stalledIntervalMs?: number;
  /** The lease claims usually ask for: BullMQ's lock is taken that long at once (another length costs a round trip). */
  leaseMs?: number;
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

/** A claim this process holds: settling it needs no look-up. */
interface Held {
  queue: string;
  job: Job;
  token: string;
  attempts: number;
}

/** The commands `defineCommand` adds for Station's two scripts. */
interface StationScripts {
  stationReserveSlot(...args: (string | number)[]): Promise<[number, number?]>;
  stationClearLease(...args: string[]): Promise<number>;
  stationTakeClaim(...args: string[]): Promise<string[]>;
}

/** BullMQ reserves ':' in job ids (Station's follow-ups are "<job>:webhook"-like): escaped both ways. */
const toBullId = (id: string) => id.replaceAll("%", "%25").replaceAll(":", "%3A");
const fromBullId = (id: string) => id.replaceAll("%3A", ":").replaceAll("%25", "%");
const reservationMs = 10_000;
const bullStates: Record<string, JobRecord["status"]> = {
  active: "running",
  completed: "completed",
  failed: "failed",
};

/**
 * The queue on Redis through BullMQ, for several Station instances: BullMQ stores and hands
 * out jobs (FIFO, delays for backoff, per-claim lock tokens, stalled-job recovery when an
 * instance dies, the marker that wakes blocked workers). Station adds what BullMQ has no notion
 * of, in a hash per job: its attempt count (a release on shutdown does not spend one), the lease
 * it reports, and cancellation (BullMQ cannot fail a waiting job, so a cancelled job is removed
 * from BullMQ and its hash becomes the record). Every time comes from the caller.
 *
 * A result is written once: completion goes through BullMQ's lock token, so a worker whose
 * lease was lost cannot overwrite the attempt that replaced it. Follow-up jobs (webhooks) are
 * added, parked, before the job completes and released right after: a crash in between
 * leaves a parked follow-up that runs when its park ends, never a finished job without one.
 *
 * Round trips are what a job costs here (each is a write and a read for Station and for
 * Redis), so the hot path keeps them few: the connection pipelines what is sent in one tick,
 * a claim this process holds is settled without looking it up again, and a submission is one
 * script (capacity, id, meta) plus BullMQ's add.
 */
export function createBullmqQueueBackend(options: BullmqQueueBackendOptions): QueueBackend & {
  /** Starts BullMQ's stalled-job checkers (jobs of a dead instance go back to waiting). */
  startRecovery(queues: string[]): Promise<void>;
  close(): Promise<void>;
} {
  const { redis, prefix } = options;
  const scripts = redis as Redis & StationScripts;
  // Defined before anything is sent through this backend: an auto-pipelined batch created
  // before a script is defined lacks it, and ioredis then fails the whole batch.
  if (!("stationReserveSlot" in redis)) {
    redis.defineCommand("stationReserveSlot", { numberOfKeys: 9, lua: reserveSlotScript });
    redis.defineCommand("stationClearLease", { numberOfKeys: 2, lua: clearLeaseScript });
    redis.defineCommand("stationTakeClaim", { numberOfKeys: 2, lua: takeClaimScript });
  }
  const parkMs = options.parkMs ?? 30_000;
  const defaultLeaseMs = options.leaseMs ?? 30_000;
  const key = (...parts: string[]) => [prefix, "station", ...parts].join(":");
  const queues = new Map<string, Queue>();
  const workers = new Map<string, Worker>();
  const held = new Map<string, Held>();
  const queueFor = (name: string): Queue => {
    let queue = queues.get(name);
    if (queue === undefined) {
      queue = new Queue(name, { connection: options.queueConnection, prefix, skipVersionCheck: true });
      queue.on("error", () => undefined);
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
        lockDuration: defaultLeaseMs,
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
  /** The claim `token` of job `id`, from this process's claims or else from Redis; undefined when it is not the current one. */
  const claimOf = async (id: string, token: string): Promise<Held | undefined> => {
    const mine = held.get(id);
    if (mine !== undefined) return mine.token === token ? mine : undefined;
    const meta = await readMeta(id);
    if (meta.leaseToken !== token) return undefined;
    const found = await jobOf(id);
    if (found?.job === undefined) return undefined;
    return { queue: found.queue, job: found.job, token, attempts: Number(meta.attempts ?? 0) };
  };

  const number = (value: string | undefined) => (value === undefined || value === "" ? undefined : Number(value));
  const record = (queue: string, job: Job | undefined, meta: JobMeta, id: string, state: string): JobRecord | undefined => {
    const data = (job?.data ?? (meta.cancelled === undefined ? undefined : JSON.parse(meta.cancelled))) as JobData | undefined;
    if (data === undefined) return undefined;
    const status = meta.cancelled !== undefined || job === undefined ? "cancelled" : (bullStates[state] ?? "queued");
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

  /**
   * A job's record from one MULTI: BullMQ's hash, Station's hash and the state are read in one
   * atomic step. (Read one after the other, a job completing in between was reported completed
   * from a hash read before its result was written: "completed with no result".)
   */
  const read = async (id: string): Promise<JobRecord | undefined> => {
    const name = await queueOf(id);
    if (name === null) return undefined;
    const queue = queueFor(name);
    const bullId = toBullId(id);
    const replies = await redis
      .multi()
      .hgetall(queue.toKey(bullId))
      .hgetall(metaKey(id))
      .zscore(queue.keys.completed!, bullId)
      .zscore(queue.keys.failed!, bullId)
      .lpos(queue.keys.active!, bullId)
      .exec();
    if (replies === null) throw new Error("the read of a job was aborted");
    for (const [error] of replies) if (error !== null) throw error;
    const [raw, meta, completed, failed, active] = replies.map(([, value]) => value) as [
      Record<string, string>,
      JobMeta,
      string | null,
      string | null,
      number | null,
    ];
    const job = raw.data === undefined ? undefined : Job.fromJSON(queue, raw as never, bullId);
    const state = completed !== null ? "completed" : failed !== null ? "failed" : active !== null ? "active" : "waiting";
    return record(name, job, meta, id, state);
  };

  /** Adds jobs to BullMQ (idempotent by id); `parkUntil` adds them delayed, to be released by `unpark`. */
  const addAll = async (jobs: NewJob[] | undefined, now: number, parkUntil?: number): Promise<void> => {
    for (const job of jobs ?? []) {
      await Promise.all([
        redis.hset(key("queue-of"), job.id, job.queue),
        redis.hset(metaKey(job.id), "runAt", String(job.runAt ?? now)),
        add(job, now, parkUntil ?? job.runAt ?? now),
      ]);
    }
  };
  const add = (job: NewJob, now: number, runAt: number): Promise<Job> => {
    const data: JobData = {
      payload: job.payload,
      maxAttempts: job.maxAttempts,
      ...(job.parentId === undefined ? {} : { parentId: job.parentId }),
      createdAt: now,
    };
    return queueFor(job.queue).add(job.queue, data, {
      jobId: toBullId(job.id),
      timestamp: now,
      delay: Math.max(0, runAt - now),
      attempts: 1,
      removeOnComplete: false,
      removeOnFail: false,
    });
  };
  /** Releases parked follow-ups: BullMQ's promote refuses a job that is not delayed (already released or run). */
  const unpark = async (jobs: NewJob[] | undefined, now: number): Promise<void> => {
    await Promise.all(
      (jobs ?? []).map(async (job) => {
        const parked = new Job(queueFor(job.queue), job.queue, {}, {}, toBullId(job.id));
        if ((job.runAt ?? now) <= now) await parked.promote().catch(() => undefined);
        else await parked.changeDelay((job.runAt ?? now) - now).catch(() => undefined);
      }),
    );
  };

  const clearLease = async (id: string, fields: Record<string, string> = {}): Promise<void> => {
    await redis
      .multi()
      .hdel(metaKey(id), "leaseToken", "leaseExpiresAt")
      .zrem(key("leases"), id)
      .hset(metaKey(id), { ...fields, _: "1" })
      .exec();
  };
  /** Clears the lease of claim `token` only (see clearLeaseScript), setting `fields`. */
  const settleLease = (id: string, token: string, fields: Record<string, string>): Promise<number> =>
    scripts.stationClearLease(metaKey(id), key("leases"), id, token, ...Object.entries(fields).flat());

  const counts = async (name: string): Promise<QueueCounts> => {
    const [bull, cancelled] = await Promise.all([
      queueFor(name).getJobCounts("waiting", "delayed", "prioritized", "waiting-children", "active", "completed", "failed"),
      redis.scard(key("cancelled", name)),
    ]);
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
        if (held.get(id)?.token === token) held.delete(id);
        moved++;
      } catch {
        // BullMQ's own stalled check got there first (or the job settled meanwhile): nothing left to move.
        await clearLease(id);
      }
    }
    return moved;
  };

  /** Turns the job BullMQ just handed out (under `token`) into a Station claim, or undefined when its attempts are spent. */
  const take = async (name: string, job: Job, token: string, now: number, leaseMs: number): Promise<ClaimedJob | undefined> => {
    const id = fromBullId(job.id as string);
    const data = job.data as JobData;
    const leaseExpiresAt = now + leaseMs;
    const fields = await scripts.stationTakeClaim(metaKey(id), key("leases"), id, token, String(now), String(leaseExpiresAt));
    const meta: JobMeta = {};
    for (let index = 0; index + 1 < fields.length; index += 2) meta[fields[index] as keyof JobMeta] = fields[index + 1];
    const attempts = Number(meta.attempts);
    if (attempts > data.maxAttempts) {
      // Recovered by BullMQ's stalled check after its last attempt: that attempt is spent.
      const error: JobError = { code: "lease_expired", message: "the worker stopped responding on the last attempt" };
      await job.moveToFailed(new Error(error.message), token, false).catch(() => undefined);
      await clearLease(id, { attempts: String(data.maxAttempts), error: JSON.stringify(error), finishedAt: String(now) });
      return undefined;
    }
    if (leaseMs !== defaultLeaseMs) await job.extendLock(token, leaseMs);
    held.set(id, { queue: name, job, token, attempts });
    const claimed = record(name, job, meta, id, "active")!;
    return { ...claimed, status: "running", leaseToken: token, leaseExpiresAt } satisfies ClaimedJob;
  };

  const backend: ReturnType<typeof createBullmqQueueBackend> = {
    async enqueue(job, now, enqueueOptions = {}) {
      const queue = queueFor(job.queue);
      const runAt = job.runAt ?? now;
      const [outcome, unfinished] = await scripts.stationReserveSlot(
        key("queue-of"),
        metaKey(job.id),
        key("reservations", job.queue),
        queue.keys.wait!,
        queue.keys.paused!,
        queue.keys.delayed!,
        queue.keys.prioritized!,
        queue.keys["waiting-children"]!,
        queue.keys.active!,
        job.id,
        job.queue,
        enqueueOptions.capacity ?? Number.MAX_SAFE_INTEGER,
        now,
        reservationMs,
        runAt,
      );
      if (outcome === -1) {
        const existing = await read(job.id);
        if (existing !== undefined) return { accepted: true, job: existing };
        // Reserved by an enqueue that never reached BullMQ (its instance died): add it now.
        await addAll([job], now);
        return { accepted: true, job: (await read(job.id))! };
      }
      if (outcome === 0) return { accepted: false, reason: "full", unfinished: unfinished ?? 0 };
      try {
        await add(job, now, runAt);
      } finally {
        // Not waited for: it rides in the next batch, and a reservation lapses by itself anyway.
        redis.zrem(key("reservations", job.queue), job.id).catch(() => undefined);
      }
      const record: JobRecord = {
        id: job.id,
        queue: job.queue,
        status: "queued",
        payload: job.payload,
        attempts: 0,
        maxAttempts: job.maxAttempts,
        runAt,
        ...(job.parentId === undefined ? {} : { parentId: job.parentId }),
        createdAt: now,
      };
      return { accepted: true, job: record };
    },
    async claim(name, now, leaseMs) {
      for (;;) {
        const token = randomUUID();
        const job = await workerFor(name).getNextJob(token, { block: false });
        if (job?.id === undefined) return undefined;
        const claimed = await take(name, job, token, now, leaseMs);
        if (claimed !== undefined) return claimed;
      }
    },
    async waitAndClaim(name, clock, leaseMs, signal) {
      const token = randomUUID();
      const next = workerFor(name).getNextJob(token, { block: true });
      let onAbort = (): void => undefined;
      const stopped = new Promise<undefined>((resolve) => {
        onAbort = () => resolve(undefined);
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort, { once: true });
      });
      const job = await Promise.race([next, stopped]).finally(() => signal.removeEventListener("abort", onAbort));
      if (job === undefined && signal.aborted) {
        // Stopping: a job handed out after all goes straight back, its attempt not spent.
        void next.then(
          (late) => (late?.id === undefined ? undefined : late.moveToDelayed(clock(), token)),
          () => undefined,
        );
        return undefined;
      }
      if (job?.id === undefined) return undefined;
      return take(name, job, token, clock(), leaseMs);
    },
    async heartbeat(id, token, now, leaseMs) {
      const claim = await claimOf(id, token);
      if (claim === undefined) return false;
      const extended = await claim.job.extendLock(token, leaseMs).catch(() => 0);
      if (!extended) {
        held.delete(id);
        return false;
      }
      await redis
        .multi()
        .hset(metaKey(id), "leaseExpiresAt", String(now + leaseMs))
        .zadd(key("leases"), now + leaseMs, id)
        .exec();
      return true;
    },
    async complete(id, token, result, now, followUps) {
      const claim = await claimOf(id, token);
      if (claim === undefined) return false;
      held.delete(id);
      await addAll(followUps, now, now + parkMs);
      const [moved] = await Promise.allSettled([
        claim.job.moveToCompleted(result ?? null, token, false),
        settleLease(id, token, { finishedAt: String(now) }),
      ]);
      if (moved.status === "rejected") return false;
      await unpark(followUps, now);
      return true;
    },
    async fail(id, token, error, now, failOptions) {
      const claim = await claimOf(id, token);
      if (claim === undefined) return "stale";
      held.delete(id);
      const maxAttempts = (claim.job.data as JobData).maxAttempts;
      const stored = JSON.stringify(error);
      if (failOptions.retryAt !== undefined && claim.attempts < maxAttempts) {
        const [moved] = await Promise.allSettled([
          claim.job.moveToDelayed(failOptions.retryAt, token),
          settleLease(id, token, { error: stored, runAt: String(failOptions.retryAt) }),
        ]);
        return moved.status === "rejected" ? "stale" : "retrying";
      }
      await addAll(failOptions.followUps, now, now + parkMs);
      const [moved] = await Promise.allSettled([
        claim.job.moveToFailed(new Error(error.message), token, false),
        settleLease(id, token, { error: stored, finishedAt: String(now) }),
      ]);
      if (moved.status === "rejected") return "stale";
      await unpark(failOptions.followUps, now);
      return "failed";
    },
    async release(id, token, now) {
      const claim = await claimOf(id, token);
      if (claim === undefined) return false;
      held.delete(id);
      try {
        await claim.job.moveToDelayed(now, token);
      } catch {
        return false;
      }
      await clearLease(id, { attempts: String(Math.max(0, claim.attempts - 1)), runAt: String(now) });
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
      held.delete(id);
      await job.remove().catch(() => undefined);
      await addAll(followUps, now);
      return true;
    },
    get: read,
    requeueExpired: (now) => requeue(now, now),
    recoverRunning: (now) => requeue(now, Number.MAX_SAFE_INTEGER),
    counts,
    async recentCompletions(name, since, limit) {
      const queue = queueFor(name);
      const completedKey = queue.keys.completed!;
      const [count, ids] = await Promise.all([
        redis.zcount(completedKey, since, "+inf"),
        redis.zrevrangebyscore(completedKey, "+inf", since, "LIMIT", 0, limit),
      ]);
      const times = await Promise.all(ids.map((bullId) => redis.hmget(queue.toKey(bullId), "finishedOn", "timestamp")));
      const latenciesMs = times.flatMap(([finishedOn, timestamp]) =>
        finishedOn === null || timestamp === null ? [] : [Number(finishedOn) - Number(timestamp)],
      );
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
    async startRecovery(names) {
      for (const name of names) {
        const worker = workerFor(name);
        void worker.startStalledCheckTimer().catch(() => undefined);
      }
    },
    async close() {
      await Promise.all([...workers.values()].map((worker) => worker.close(true)));
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
      typeof value === "function"
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
