import { randomUUID } from "node:crypto";
import { Job, Queue } from "bullmq";
import type { Redis } from "ioredis";
import { attemptsOf, type BullmqJobData, bullmqJobRecord, type CancelledMeta, stationField } from "./bullmq-job-record.ts";
import {
  expiredLeasesScript,
  lapsedParkScript,
  removeForeignParkedScript,
  removeStaleParkedScript,
  reserveSlotScript,
  unparkScript,
} from "./bullmq-station-scripts.ts";
import { BullmqStationWorker } from "./bullmq-station-worker.ts";
import {
  type ClaimedJob,
  type JobError,
  type JobRecord,
  type LeaseFailureFollowUps,
  leaseExpired,
  type NewJob,
  type QueueBackend,
  type QueueCounts,
  queuedRecord,
  type WebhookAttempt,
} from "./queue-backend.ts";
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

/** A claim this process holds: settling it needs no look-up. */
interface Held {
  queue: string;
  job: Job;
  token: string;
  attempts: number;
  startedAt: number;
}

/** The commands `defineCommand` adds for Station's scripts. */
interface StationScripts {
  stationReserveSlot(...args: (string | number)[]): Promise<[number, number?]>;
  stationRemoveStaleParked(...args: string[]): Promise<number>;
  stationExpiredLeases(...args: (string | number)[]): Promise<string[]>;
  stationUnpark(...args: string[]): Promise<number>;
  stationRemoveForeignParked(...args: string[]): Promise<number>;
  stationLapsedPark(...args: string[]): Promise<number>;
}

/** BullMQ reserves ':' in job ids (Station's follow-ups are "<job>:webhook"-like): escaped both ways. */
const toBullId = (id: string) => id.replaceAll("%", "%25").replaceAll(":", "%3A");
const fromBullId = (id: string) => id.replaceAll("%3A", ":").replaceAll("%25", "%");
const reservationMs = 10_000;

/**
 * The queue on Redis through BullMQ, for several Station instances: BullMQ stores and hands
 * out jobs (FIFO, delays for backoff, per-claim lock tokens, its count of claims started,
 * stalled-job recovery when an instance dies, the marker that wakes blocked workers). What
 * BullMQ has no notion of (a release on shutdown does not spend an attempt, the first start,
 * the error of an attempt that is retried, a lease on the caller's clock) Station writes into
 * BullMQ's own job hash, in the same script as the move that needs it (`fieldsToUpdate`), and
 * only when a job is put back or failed: a job that runs once costs BullMQ's calls alone.
 * Cancellation is the exception: BullMQ cannot fail a waiting job, so a cancelled job is
 * removed from BullMQ and a hash of Station's becomes its record. Every time comes from the caller.
 *
 * A result is written once: completion goes through BullMQ's lock token, so a worker whose
 * lease was lost cannot overwrite the attempt that replaced it. Follow-up jobs (webhooks) are
 * added, parked, before the job completes and released right after: a crash in between
 * leaves a parked follow-up that runs when its park ends, never a finished job without one.
 * A completion that is refused (the claim was stale) takes its parked follow-ups back.
 *
 * Round trips are what a job costs here (each is a write and a read for Station and for
 * Redis), so the hot path keeps them few: the connection pipelines what is sent in one tick,
 * a claim this process holds is settled without looking it up again, and a submission is one
 * script (capacity, id) plus BullMQ's add.
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
    redis.defineCommand("stationReserveSlot", { numberOfKeys: 8, lua: reserveSlotScript });
    redis.defineCommand("stationRemoveStaleParked", { numberOfKeys: 3, lua: removeStaleParkedScript });
    redis.defineCommand("stationExpiredLeases", { numberOfKeys: 1, lua: expiredLeasesScript });
    redis.defineCommand("stationUnpark", { numberOfKeys: 7, lua: unparkScript });
    redis.defineCommand("stationRemoveForeignParked", { numberOfKeys: 6, lua: removeForeignParkedScript });
    redis.defineCommand("stationLapsedPark", { numberOfKeys: 3, lua: lapsedParkScript });
  }
  const parkMs = options.parkMs ?? 30_000;
  const defaultLeaseMs = options.leaseMs ?? 30_000;
  const key = (...parts: string[]) => [prefix, "station", ...parts].join(":");
  const queues = new Map<string, Queue>();
  const workers = new Map<string, BullmqStationWorker>();
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
  const workerFor = (name: string): BullmqStationWorker => {
    let worker = workers.get(name);
    if (worker === undefined) {
      worker = new BullmqStationWorker(name, undefined, {
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
  /** Station's hash of a cancelled job (BullMQ's copy is gone). */
  const metaKey = (id: string) => key("job", id);
  const lockKey = (name: string, id: string) => `${queueFor(name).toKey(toBullId(id))}:lock`;
  const queueOf = async (id: string): Promise<string | null> => redis.hget(key("queue-of"), id);
  /** The claim `token` of job `id`, from this process's claims or else from BullMQ's lock; undefined when it is not the current one. */
  const claimOf = async (id: string, token: string): Promise<Held | undefined> => {
    const mine = held.get(id);
    if (mine !== undefined) return mine.token === token ? mine : undefined;
    const name = await queueOf(id);
    if (name === null || (await redis.get(lockKey(name, id))) !== token) return undefined;
    const job = await queueFor(name).getJob(toBullId(id));
    const current = await read(id);
    if (job === undefined || current === undefined) return undefined;
    return { queue: name, job, token, attempts: current.attempts, startedAt: current.startedAt ?? 0 };
  };

  /** A job's hash and state as BullMQ has them, with Station's hash of a cancelled one, in one MULTI. */
  const readRaw = async (
    name: string,
    id: string,
  ): Promise<{ hash: Record<string, string>; cancelled: CancelledMeta; state: "active" | "completed" | "failed" | "waiting" }> => {
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
    const [hash, cancelled, completed, failed, active] = replies.map(([, value]) => value) as [
      Record<string, string>,
      CancelledMeta,
      string | null,
      string | null,
      number | null,
    ];
    const state = completed !== null ? "completed" : failed !== null ? "failed" : active !== null ? "active" : "waiting";
    return { hash, cancelled, state };
  };
  /**
   * A job's record from one MULTI: BullMQ's hash and the state are read in one atomic step.
   * (Read one after the other, a job completing in between was reported completed from a hash
   * read before its result was written: "completed with no result".)
   */
  const read = async (id: string): Promise<JobRecord | undefined> => {
    const name = await queueOf(id);
    if (name === null) return undefined;
    const { hash, cancelled, state } = await readRaw(name, id);
    return bullmqJobRecord(name, id, hash, cancelled, state);
  };

  /**
   * Adds jobs to BullMQ (idempotent by id); `parked` adds them delayed by parkMs, to be released
   * by `unpark`, which records their queue (a parked job is nobody's to read yet).
   */
  const addAll = async (jobs: NewJob[] | undefined, now: number, parked?: { by: string; rerunOf?: string }): Promise<void> => {
    for (const job of jobs ?? []) {
      if (parked?.rerunOf !== undefined) await addOwn(job, now, parked.by, parked.rerunOf);
      else if (parked !== undefined) await add(job, now, now + parkMs, parked.by);
      else await Promise.all([redis.hset(key("queue-of"), job.id, job.queue), add(job, now, job.runAt ?? now)]);
    }
  };
  const add = (job: NewJob, now: number, runAt: number, parkedBy?: string): Promise<Job> => {
    const data: BullmqJobData = {
      payload: job.payload,
      maxAttempts: job.maxAttempts,
      ...(job.parentId === undefined ? {} : { parentId: job.parentId }),
      createdAt: now,
      runAt: job.runAt ?? now,
      ...(parkedBy === undefined ? {} : { parkedBy }),
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
  /**
   * Removes follow-up `job` when another claim parked it and it has not finished, while claim
   * `token` holds lock `parentLock` (a cancel passes none: it removes regardless). See removeForeignParkedScript.
   */
  const removeForeign = (job: NewJob, token: string, parentLock?: string): Promise<number> => {
    const queue = queueFor(job.queue);
    const bullId = toBullId(job.id);
    return scripts.stationRemoveForeignParked(
      queue.keys.delayed!,
      queue.keys.wait!,
      queue.keys.active!,
      queue.toKey(bullId),
      key("queue-of"),
      parentLock ?? queue.toKey(bullId),
      bullId,
      token,
      job.id,
      parentLock === undefined ? "0" : "1",
    );
  };
  /**
   * Parks follow-up `job` for a claim of a job claimed before: an earlier claim may have parked
   * one of the same id (BullMQ would ignore this add and release that one, the outcome of an
   * attempt that was never stored). Added, then checked: a follow-up another claim parked is
   * removed and this one added again, until the id holds this claim's (or one no claim parked).
   * Checked after the add, not only before: a stale claim still alive (its lock lapsed) may
   * park between a check and an add; once this claim's is there, its add is ignored, and its
   * refused completion takes back only its own (removeStaleParkedScript matches its token).
   * A few rounds at most: each removal is of another claim's single add.
   */
  const addOwn = async (job: NewJob, now: number, token: string, parentLock: string): Promise<void> => {
    for (let round = 0; round < 5; round++) {
      await add(job, now, now + parkMs, token);
      if ((await removeForeign(job, token, parentLock)) === 0) return;
    }
  };
  /** For a claim of a job claimed before (BullMQ's count of claims started): its job's lock, which addOwn checks. */
  const rerunOf = (claim: Held, id: string): { rerunOf?: string } =>
    claim.job.attemptsStarted > 1 ? { rerunOf: lockKey(claim.queue, id) } : {};
  /** How a follow-up's data names the claim that parked it (as JSON.stringify writes it). */
  const parkedMember = (token: string) => `"parkedBy":${JSON.stringify(token)}`;
  /**
   * Releases the follow-ups claim `token` parked, recording their queue: one script each (see
   * unparkScript), which leaves a job that is not delayed (already released or run) where it is.
   */
  const unpark = async (jobs: NewJob[] | undefined, now: number, token: string): Promise<void> => {
    await Promise.all(
      (jobs ?? []).map(async (job) => {
        const queue = queueFor(job.queue);
        const bullId = toBullId(job.id);
        if ((job.runAt ?? now) > now) {
          await redis.hset(key("queue-of"), job.id, job.queue);
          await new Job(queue, job.queue, {}, {}, bullId).changeDelay((job.runAt ?? now) - now).catch(() => undefined);
          return;
        }
        await scripts.stationUnpark(
          queue.keys.delayed!,
          queue.keys.wait!,
          queue.keys.meta!,
          queue.keys.active!,
          queue.keys.marker!,
          queue.keys.events!,
          key("queue-of"),
          bullId,
          queue.toKey(""),
          parkedMember(token),
          job.id,
          job.queue,
        );
      }),
    );
  };
  /** Takes back the follow-ups claim `token` parked, its completion refused: a stale attempt's webhook must never fire. */
  const unparkStale = async (jobs: NewJob[] | undefined, token: string): Promise<void> => {
    await Promise.all(
      (jobs ?? []).map((job) => {
        const queue = queueFor(job.queue);
        const bullId = toBullId(job.id);
        return scripts.stationRemoveStaleParked(
          queue.keys.delayed!,
          queue.toKey(bullId),
          key("queue-of"),
          bullId,
          parkedMember(token),
          job.id,
        );
      }),
    );
  };

  /** What Station writes into BullMQ's hash when it puts claim `claim` back: the first start kept, the lease cleared. */
  const putBackFields = (claim: { startedAt: number }, runAt: number, extra: Record<string, string> = {}) => ({
    [stationField.runAt]: String(runAt),
    [stationField.startedAt]: String(claim.startedAt),
    [stationField.lease]: "",
    ...extra,
  });
  /** Moves an active job back to delayed until `runAt` under lock `token` ("0": its lock lapsed), writing `fields`. */
  const moveBack = (name: string, id: string, token: string, now: number, runAt: number, fields: Record<string, string>) =>
    queueFor(name).backend.moveToDelayed(toBullId(id), now, Math.max(0, runAt - now), token, { skipAttempt: true, fieldsToUpdate: fields });
  /** Fails an active job for good under lock `token`, writing `fields` with Station's error. */
  const moveToFailed = (name: string, job: Job, token: string, error: JobError, fields: Record<string, string> = {}) =>
    queueFor(name).backend.moveToFailed(job, error.message, false, token, false, {
      ...fields,
      [stationField.error]: JSON.stringify(error),
    });

  /** Station ids of jobs being failed, or failed, for good by an expired lease whose follow-ups may not be enqueued yet. */
  const leaseFailedKey = key("lease-failed");
  /**
   * Fails an active job whose last attempt's lease expired. BullMQ's failing script cannot add
   * Station's follow-ups, so the job is noted first and its follow-ups enqueued by the sweep
   * (drainLeaseFailures): a process dying in between leaves the note, never a silent failure.
   */
  const failExpired = async (name: string, job: Job, token: string, fields: Record<string, string>): Promise<void> => {
    await redis.sadd(leaseFailedKey, fromBullId(job.id as string));
    await moveToFailed(name, job, token, leaseExpired, fields);
  };
  /**
   * Enqueues the follow-ups of the noted jobs that are failed by an expired lease (whichever
   * process failed them), then drops their note; a job still active keeps it (its failing is
   * under way, or was cut off and the next sweep fails it again), any other is dropped. A
   * follow-up the dead claim had parked (a "completed" it never stored) is removed first, and
   * again after the add if a stale claim parked one in between (its add then ignored ours): the
   * id then holds this failure's follow-up, added once (by id) however many processes drain.
   * lapsedParkScript never delivers a parked follow-up of a job failed so.
   */
  const drainLeaseFailures = async (now: number, followUpsFor: LeaseFailureFollowUps | undefined): Promise<void> => {
    for (const id of await redis.smembers(leaseFailedKey)) {
      const current = await read(id);
      if (current?.status === "running") continue;
      if (current?.status === "failed" && current.error?.code === leaseExpired.code) {
        for (const followUp of followUpsFor?.(current) ?? []) {
          for (let round = 0; round < 5; round++) {
            await addAll([followUp], now);
            if ((await removeForeign(followUp, "")) === 0) break;
          }
        }
      }
      await redis.srem(leaseFailedKey, id);
    }
  };

  /** Puts a job BullMQ handed out back, as if never claimed: one more claim given back, its first start kept. */
  const giveBack = async (name: string, job: Job, token: string, now: number): Promise<void> => {
    const [released, first] = await redis.hmget(queueFor(name).toKey(job.id as string), stationField.released, stationField.startedAt);
    await moveBack(name, fromBullId(job.id as string), token, now, now, {
      [stationField.released]: String(Number(released || 0) + 1),
      [stationField.runAt]: String(now),
      ...(job.attemptsStarted > 1 ? {} : { [stationField.startedAt]: first || String(job.processedOn ?? now) }),
    });
  };

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

  /**
   * Active jobs of the queues this process uses whose lease ended before `cutoff` go back to
   * queued at `now`, or fail when out of attempts. The lease is on the caller's clock: the
   * claim's start plus the default lease, or what a heartbeat or another length recorded.
   */
  const requeue = async (now: number, cutoff: number, followUpsFor?: LeaseFailureFollowUps): Promise<number> => {
    let moved = 0;
    for (const name of new Set([...queues.keys(), ...workers.keys()])) {
      const queue = queueFor(name);
      // One script per queue finds the expired: a job's data (a caption's image) is read only once its lease ended.
      const expired = await scripts.stationExpiredLeases(queue.keys.active!, queue.toKey(""), cutoff, defaultLeaseMs, stationField.lease);
      for (const bullId of expired) {
        const id = fromBullId(bullId);
        const [hash, lock] = await Promise.all([redis.hgetall(queue.toKey(bullId)), redis.get(`${queue.toKey(bullId)}:lock`)]);
        if (hash.data === undefined) continue;
        const job = Job.fromJSON(queue, hash as never, bullId);
        const attempts = attemptsOf(hash);
        const startedAt = Number(hash[stationField.startedAt] || hash.processedOn || now);
        // The lease is Station's (the caller's clock); BullMQ's lock may have lapsed already
        // while the job still sits in active: then nobody holds it, and "0" moves it without one.
        const token = lock ?? "0";
        try {
          if (attempts < (job.data as BullmqJobData).maxAttempts)
            await moveBack(name, id, token, now, now, putBackFields({ startedAt }, now));
          else await failExpired(name, job, token, { [stationField.lease]: "" });
          held.delete(id);
          moved++;
        } catch {
          // BullMQ's own stalled check got there first (or the job settled meanwhile): nothing left to move.
        }
      }
    }
    await drainLeaseFailures(now, followUpsFor);
    return moved;
  };

  /** Turns the job BullMQ just handed out (under `token`) into a Station claim, or undefined when its attempts are spent. */
  const take = async (name: string, job: Job, token: string, now: number, leaseMs: number): Promise<ClaimedJob | undefined> => {
    const id = fromBullId(job.id as string);
    const data = job.data as BullmqJobData;
    const leaseExpiresAt = now + leaseMs;
    // Still naming the claim that parked it: released by its park's end (that process died
    // after parking it), so its queue was never recorded. Delivered only if its parent finished
    // (the parker's outcome was stored); else it is a stale attempt's, removed (lapsedParkScript).
    if (data.parkedBy) {
      const parent = data.parentId ?? "";
      const deliver = await scripts.stationLapsedPark(
        queueFor(name).toKey(job.id as string),
        queueFor(name).keys.active!,
        key("queue-of"),
        job.id as string,
        token,
        id,
        name,
        parent,
        toBullId(parent),
        `${prefix}:`,
        stationField.error,
        `"code":${JSON.stringify(leaseExpired.code)}`,
      );
      if (deliver !== 1) return undefined;
    }
    let attempts = job.attemptsStarted;
    let startedAt = job.processedOn ?? now;
    if (attempts > 1 || leaseMs !== defaultLeaseMs) {
      // Claimed before (or asking another lease): Station's fields say what BullMQ's count and
      // start do not, and the lease a former claim recorded must not stand for this one.
      const jobKey = queueFor(name).toKey(job.id as string);
      const [[, fields]] = (await redis
        .multi()
        .hmget(jobKey, stationField.released, stationField.startedAt)
        .hset(jobKey, stationField.lease, String(leaseExpiresAt))
        .exec()) as [[Error | null, (string | null)[]]];
      const [released, first] = fields ?? [];
      attempts = attemptsOf({ ats: String(attempts), [stationField.released]: released ?? undefined });
      if (first !== null && first !== undefined && first !== "") startedAt = Number(first);
      if (attempts > data.maxAttempts) {
        // Recovered by BullMQ's stalled check after its last attempt: that attempt is spent.
        const spent = { [stationField.released]: String(job.attemptsStarted - data.maxAttempts), [stationField.lease]: "" };
        // Its follow-ups are enqueued by the next lease sweep (drainLeaseFailures).
        await failExpired(name, job, token, spent).catch(() => undefined);
        return undefined;
      }
      if (leaseMs !== defaultLeaseMs) await job.extendLock(token, leaseMs);
    }
    held.set(id, { queue: name, job, token, attempts, startedAt });
    return {
      id,
      queue: name,
      status: "running",
      payload: data.payload,
      attempts,
      maxAttempts: data.maxAttempts,
      runAt: data.runAt ?? data.createdAt,
      ...(data.parentId === undefined ? {} : { parentId: data.parentId }),
      createdAt: data.createdAt,
      startedAt,
      leaseToken: token,
      leaseExpiresAt,
    } satisfies ClaimedJob;
  };

  /**
   * Completes claim `claim` through `move` (BullMQ's completing script, under the claim's lock):
   * its follow-ups added parked first, released after; taken back when the lock was not the claim's.
   */
  const settleCompleted = async (
    claim: Held,
    id: string,
    now: number,
    followUps: NewJob[] | undefined,
    move: (job: Job) => Promise<unknown>,
  ): Promise<boolean> => {
    held.delete(id);
    await addAll(followUps, now, { by: claim.token, ...rerunOf(claim, id) });
    try {
      await move(claim.job);
    } catch {
      await unparkStale(followUps, claim.token);
      return false;
    }
    await unpark(followUps, now, claim.token);
    return true;
  };

  const backend: ReturnType<typeof createBullmqQueueBackend> = {
    async enqueue(job, now, enqueueOptions = {}) {
      const queue = queueFor(job.queue);
      const runAt = job.runAt ?? now;
      const [outcome, unfinished] = await scripts.stationReserveSlot(
        key("queue-of"),
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
        toBullId(job.id),
        queue.toKey(""),
      );
      if (outcome === -1) {
        const existing = await read(job.id);
        if (existing !== undefined) return { accepted: true, job: existing };
        // Reserved by an enqueue that never reached BullMQ (its instance died): add it now.
        await addAll([job], now);
        return { accepted: true, job: (await read(job.id))! };
      }
      if (outcome === 0) return { accepted: false, reason: "full", unfinished: unfinished ?? 0 };
      // The reservation is dropped by the next reservation's script, which sees BullMQ holds the job.
      await add(job, now, runAt).catch((error: unknown) => {
        // Not waited for (Redis may be down): a reservation lapses by itself anyway.
        redis.zrem(key("reservations", job.queue), toBullId(job.id)).catch(() => undefined);
        throw error;
      });
      return { accepted: true, job: queuedRecord(job, now) };
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
          (late) => (late?.id === undefined ? undefined : giveBack(name, late, token, clock())),
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
      await redis.hset(queueFor(claim.queue).toKey(toBullId(id)), stationField.lease, String(now + leaseMs));
      return true;
    },
    async complete(id, token, result, now, followUps) {
      const claim = await claimOf(id, token);
      if (claim === undefined) return false;
      return settleCompleted(claim, id, now, followUps, (job) => job.moveToCompleted(result ?? null, token, false));
    },
    async completeAndClaimNext(id, token, result, now, followUps, next) {
      const claim = held.get(id);
      const worker = workers.get(next.queue);
      if (claim === undefined || claim.token !== token || claim.queue !== next.queue || worker === undefined) {
        // Not a claim this process's worker of that queue handed out: the two steps.
        const stored = await backend.complete(id, token, result, now, followUps);
        const claimed = stored ? await backend.claim(next.queue, now, next.leaseMs) : undefined;
        return claimed === undefined ? { stored } : { stored, next: claimed };
      }
      const fetched: { job?: Job | undefined } = {};
      const stored = await settleCompleted(claim, id, now, followUps, async (job) => {
        fetched.job = await worker.completeAndFetchNext(job, result ?? null, token);
      });
      if (!stored || fetched.job?.id === undefined) return { stored };
      // The next job comes locked with this claim's token for the default lease, as a claim takes it.
      const taken = await take(next.queue, fetched.job, token, now, next.leaseMs);
      if (taken !== undefined) return { stored, next: taken };
      const claimed = await backend.claim(next.queue, now, next.leaseMs);
      return claimed === undefined ? { stored } : { stored, next: claimed };
    },
    async fail(id, token, error, now, failOptions) {
      const claim = await claimOf(id, token);
      if (claim === undefined) return "stale";
      held.delete(id);
      const maxAttempts = (claim.job.data as BullmqJobData).maxAttempts;
      if (failOptions.retryAt !== undefined && claim.attempts < maxAttempts) {
        const fields = putBackFields(claim, failOptions.retryAt, { [stationField.error]: JSON.stringify(error) });
        try {
          await moveBack(claim.queue, id, token, now, failOptions.retryAt, fields);
        } catch {
          return "stale";
        }
        return "retrying";
      }
      await addAll(failOptions.followUps, now, { by: token, ...rerunOf(claim, id) });
      try {
        await moveToFailed(claim.queue, claim.job, token, error, { [stationField.lease]: "" });
      } catch {
        await unparkStale(failOptions.followUps, token);
        return "stale";
      }
      await unpark(failOptions.followUps, now, token);
      return "failed";
    },
    async release(id, token, now) {
      const claim = await claimOf(id, token);
      if (claim === undefined) return false;
      held.delete(id);
      const released = claim.job.attemptsStarted - Math.max(0, claim.attempts - 1);
      try {
        await moveBack(claim.queue, id, token, now, now, putBackFields(claim, now, { [stationField.released]: String(released) }));
      } catch {
        return false;
      }
      return true;
    },
    async cancel(id, now, followUps) {
      const name = await queueOf(id);
      if (name === null) return false;
      const [current, lock] = await Promise.all([read(id), redis.get(lockKey(name, id))]);
      if (current === undefined || !(current.status === "queued" || current.status === "running")) return false;
      const job = await queueFor(name).getJob(toBullId(id));
      if (job === undefined) return false;
      if (current.status === "running") {
        // The lock is the running claim's ("0" once it lapsed); failing the job with it frees it, then BullMQ's copy can go.
        await moveToFailed(name, job, lock ?? "0", { code: "cancelled", message: "cancelled" }).catch(() => undefined);
      }
      const meta: Record<string, string> = {
        cancelled: JSON.stringify(job.data),
        finishedAt: String(now),
        attempts: String(current.attempts),
        runAt: String(current.runAt),
        ...(current.startedAt === undefined ? {} : { startedAt: String(current.startedAt) }),
        ...(current.error === undefined ? {} : { error: JSON.stringify(current.error) }),
      };
      // A reservation not yet dropped would count the removed job until it lapses.
      await redis.multi().hset(metaKey(id), meta).sadd(key("cancelled", name), id).zrem(key("reservations", name), toBullId(id)).exec();
      held.delete(id);
      await job.remove().catch(() => undefined);
      // A follow-up an earlier claim parked (its process dead) must not stand for the cancel's.
      await Promise.all((followUps ?? []).map((followUp) => removeForeign(followUp, "")));
      await addAll(followUps, now);
      return true;
    },
    get: read,
    requeueExpired: (now, followUpsFor) => requeue(now, now, followUpsFor),
    recoverRunning: (now, followUpsFor) => requeue(now, Number.MAX_SAFE_INTEGER, followUpsFor),
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
      if (oldestWaiting !== null) {
        const record = await read(fromBullId(oldestWaiting));
        if (record !== undefined) candidates.push(record.runAt);
      }
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
