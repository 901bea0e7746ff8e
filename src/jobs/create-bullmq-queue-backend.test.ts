import { createHash } from "node:crypto";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { testRedisUrl, uniqueRedisPrefix } from "../../test/support/redis-test-prefix.ts";
import { unparkScript } from "./bullmq-station-scripts.ts";
import { connectRedis } from "./connect-redis.ts";
import { createBullmqQueueBackend } from "./create-bullmq-queue-backend.ts";
import { describeQueueBackendConformance } from "./queue-backend.conformance.ts";
import type { JobRecord, NewJob, QueueBackend } from "./queue-backend.ts";

/** Where each method takes the caller's clock (`now`). */
const clockArgument: Partial<Record<keyof QueueBackend, number>> = {
  enqueue: 1,
  claim: 1,
  heartbeat: 2,
  complete: 3,
  completeAndClaimNext: 3,
  fail: 3,
  release: 2,
  cancel: 1,
  requeueExpired: 0,
  recoverRunning: 0,
};

// The suite passes its own clock (1, 100, 500 ...). The backend hands every time it gets to
// BullMQ, but BullMQ also reads Date.now() inside (the time a delayed job becomes due, a
// job's finishedOn): Date follows the suite's clock here, so both agree. Timers stay real.
beforeAll(() => {
  vi.useFakeTimers({ toFake: ["Date"] });
});
afterAll(() => {
  vi.useRealTimers();
});

describeQueueBackendConformance("bullmq (Redis)", async () => {
  const { prefix, clean } = uniqueRedisPrefix();
  const redis = await connectRedis(testRedisUrl);
  const backend = createBullmqQueueBackend({
    redis: redis.commands,
    queueConnection: redis.queueCommands,
    blockingConnection: () => redis.openBlocking(),
    prefix,
  });
  const clocked = {} as Record<string, unknown>;
  for (const [name, method] of Object.entries(backend)) {
    const at = clockArgument[name as keyof QueueBackend];
    clocked[name] =
      typeof method === "function" && at !== undefined
        ? (...args: unknown[]) => {
            vi.setSystemTime(args[at] as number);
            return (method as (...inner: unknown[]) => unknown)(...args);
          }
        : method;
  }
  return {
    backend: clocked as unknown as QueueBackend,
    async close() {
      await backend.close();
      await redis.close();
      await clean();
    },
  };
});

/**
 * "Completed with no result" (issue 14): a job's BullMQ hash, Station's hash and its state were
 * read one after the other, so a completion landing between the reads gave a job reported
 * completed from a hash read before its result was written. The connection below lets the job
 * complete right after the backend's first read of the job's hash (alone or in a MULTI) comes
 * back: whatever the backend reads after that, its answer must hold together.
 */
describe("reading a job while it completes", () => {
  let redis: Awaited<ReturnType<typeof connectRedis>>;
  let clean: () => Promise<void>;
  let backend: ReturnType<typeof createBullmqQueueBackend>;
  let between: (() => Promise<unknown>) | undefined;
  let fired = false;

  const afterJobHashRead = async <T>(keys: string[], reply: Promise<T>): Promise<T> => {
    const value = await reply;
    const hook = between;
    if (hook !== undefined && keys.some((key) => key.endsWith(":q:a"))) {
      between = undefined;
      fired = true;
      await hook();
    }
    return value;
  };

  beforeEach(async () => {
    const unique = uniqueRedisPrefix();
    clean = unique.clean;
    redis = await connectRedis(testRedisUrl);
    // Both of the backend's command connections in one: whichever carries a read, it is seen.
    const commands = redis.queueCommands;
    const watched = new Proxy(commands, {
      get(target, property, receiver) {
        if (property === "hgetall") {
          return (key: string) => afterJobHashRead([key], target.hgetall(key));
        }
        if (property === "multi") {
          return () => {
            const transaction = target.multi();
            const exec = transaction.exec.bind(transaction);
            const keys: string[] = [];
            const hgetall = transaction.hgetall.bind(transaction);
            transaction.hgetall = ((key: string) => {
              keys.push(key);
              return hgetall(key);
            }) as typeof transaction.hgetall;
            transaction.exec = (() => afterJobHashRead(keys, exec())) as typeof transaction.exec;
            return transaction;
          };
        }
        const value = Reflect.get(target, property, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    backend = createBullmqQueueBackend({
      redis: watched,
      queueConnection: watched,
      blockingConnection: () => redis.openBlocking(),
      prefix: unique.prefix,
    });
  });
  afterEach(async () => {
    await backend.close();
    await redis.close();
    await clean();
  });

  it("reports it running without a result or completed with it, never completed without it", async () => {
    vi.setSystemTime(1);
    await backend.enqueue({ id: "a", queue: "q", payload: {}, maxAttempts: 1 }, 1);
    const claimed = (await backend.claim("q", 2, 1000))!;
    between = () => backend.complete("a", claimed.leaseToken, { caption: "cat" }, 3);
    const during = await backend.get("a");
    expect(fired).toBe(true);
    expect(during?.status === "completed" ? during : { status: during?.status, result: during?.result }).toEqual(
      during?.status === "completed" ? expect.objectContaining({ result: { caption: "cat" } }) : { status: "running", result: undefined },
    );
    expect(await backend.get("a")).toMatchObject({ status: "completed", result: { caption: "cat" } });
  });
});

/** Two backends on one prefix: two instances of Station sharing the queue. */
async function openPair() {
  const unique = uniqueRedisPrefix();
  const connections = [await connectRedis(testRedisUrl), await connectRedis(testRedisUrl)];
  const [a, b] = connections.map((redis) =>
    createBullmqQueueBackend({
      redis: redis.commands,
      queueConnection: redis.queueCommands,
      blockingConnection: () => redis.openBlocking(),
      prefix: unique.prefix,
    }),
  ) as [ReturnType<typeof createBullmqQueueBackend>, ReturnType<typeof createBullmqQueueBackend>];
  return {
    a,
    b,
    connections,
    async close() {
      await Promise.all([a.close(), b.close()]);
      await Promise.all(connections.map((redis) => redis.close()));
      await unique.clean();
    },
  };
}

/** Runs `step` with Date at `time`: BullMQ reads Date.now() inside, the backend gets `time` as its clock. */
const at = <T>(time: number, step: (now: number) => Promise<T>): Promise<T> => {
  vi.setSystemTime(time);
  return step(time);
};

/**
 * A stale claim's follow-up (issue 14): instance A's claim lost its lease, B took the job over.
 * A's handler then finished: its settle parked the webhook before BullMQ refused the move, and
 * that parked webhook (of an attempt that never counted) fired when its park ended, telling the
 * receiver what A saw, even "failed" for a job B completed. The refused settle takes it back.
 */
describe("a stale claim's settle", () => {
  let pair: Awaited<ReturnType<typeof openPair>>;
  beforeEach(async () => {
    pair = await openPair();
  });
  afterEach(async () => {
    await pair.close();
  });

  const hook = (body: string) => ({ id: "a:webhook", queue: "hooks", payload: { body }, maxAttempts: 5, parentId: "a" });
  const takeOver = async () => {
    const { a, b } = pair;
    await at(1, (now) => a.enqueue({ id: "a", queue: "q", payload: {}, maxAttempts: 3 }, now));
    const stale = (await at(10, (now) => a.claim("q", now, 100)))!;
    await b.counts("q");
    expect(await at(200, (now) => b.requeueExpired(now))).toBe(1);
    const current = (await at(210, (now) => b.claim("q", now, 1000)))!;
    expect(current.attempts).toBe(2);
    return { stale, current };
  };

  it("completing: leaves no webhook behind, and the current claim's webhook is the one sent", async () => {
    const { a, b } = pair;
    const { stale, current } = await takeOver();
    expect(await at(220, (now) => a.complete("a", stale.leaseToken, "stale", now, [hook("stale")]))).toBe(false);
    expect(await b.get("a:webhook")).toBeUndefined();
    expect((await b.counts("hooks")).queued).toBe(0);
    expect(await at(230, (now) => b.complete("a", current.leaseToken, "fresh", now, [hook("fresh")]))).toBe(true);
    expect(await b.get("a")).toMatchObject({ status: "completed", result: "fresh" });
    expect(await b.get("a:webhook")).toMatchObject({ status: "queued", payload: { body: "fresh" } });
    expect((await at(231, (now) => b.claim("hooks", now, 1000)))?.payload).toEqual({ body: "fresh" });
  });

  it("failing for good: leaves no 'failed' webhook behind for a job that then completes", async () => {
    const { a, b } = pair;
    const { stale, current } = await takeOver();
    const error = { code: "job_timeout", message: "too slow" };
    expect(await at(220, (now) => a.fail("a", stale.leaseToken, error, now, { followUps: [hook("failed")] }))).toBe("stale");
    expect(await b.get("a:webhook")).toBeUndefined();
    expect(await at(230, (now) => b.complete("a", current.leaseToken, "fresh", now, [hook("completed")]))).toBe(true);
    expect(await b.get("a:webhook")).toMatchObject({ status: "queued", payload: { body: "completed" } });
  });

  it("never takes back a webhook the current claim added", async () => {
    const { a, b } = pair;
    const { stale, current } = await takeOver();
    expect(await at(220, (now) => b.complete("a", current.leaseToken, "fresh", now, [hook("fresh")]))).toBe(true);
    expect(await at(230, (now) => a.complete("a", stale.leaseToken, "stale", now, [hook("stale")]))).toBe(false);
    expect(await b.get("a:webhook")).toMatchObject({ status: "queued", payload: { body: "fresh" } });
  });
});

/**
 * A submission's reservation (capacity across instances while BullMQ's add is on its way) is
 * dropped by the next submission's script once BullMQ holds the job, not by a call of its own:
 * a job cancelled before that next submission must not go on filling its slot.
 */
describe("a reservation", () => {
  let pair: Awaited<ReturnType<typeof openPair>>;
  beforeEach(async () => {
    pair = await openPair();
  });
  afterEach(async () => {
    await pair.close();
  });

  it("no longer counts once its job is cancelled, though no submission came to drop it", async () => {
    const { a, b } = pair;
    const job = (id: string) => ({ id, queue: "q", payload: {}, maxAttempts: 1 });
    expect((await at(1, (now) => a.enqueue(job("one"), now, { capacity: 2 }))).accepted).toBe(true);
    expect((await at(2, (now) => b.enqueue(job("two"), now, { capacity: 2 }))).accepted).toBe(true);
    // Cancelled before another submission dropped its reservation.
    expect(await at(3, (now) => b.cancel("two", now))).toBe(true);
    expect((await at(4, (now) => a.enqueue(job("three"), now, { capacity: 2 }))).accepted).toBe(true);
    expect(await at(5, (now) => b.enqueue(job("four"), now, { capacity: 2 }))).toEqual({ accepted: false, reason: "full", unfinished: 2 });
  });
});

/**
 * A follow-up (webhook) is parked before its job completes and released after, by one script
 * that also records its queue. A process that dies in between leaves it parked: when its park
 * ends BullMQ releases it, and the worker that takes it records its queue, so it reads as any job.
 */
describe("a follow-up whose release never came", () => {
  it("runs when its park ends and reads as a job of its queue once taken", async () => {
    vi.useRealTimers();
    const unique = uniqueRedisPrefix();
    const [dying, alive] = await Promise.all([connectRedis(testRedisUrl), connectRedis(testRedisUrl)]);
    const release = createHash("sha1").update(unparkScript).digest("hex");
    const send = dying.commands.sendCommand.bind(dying.commands) as (...args: unknown[]) => unknown;
    // The process dies once the completion is stored: the release is never sent.
    (dying.commands as { sendCommand: unknown }).sendCommand = (
      command: { name: string; args: unknown[]; reject: (error: Error) => void },
      ...rest: unknown[]
    ) => {
      if (command.name.startsWith("eval") && command.args[0] === release) return command.reject(new Error("the process is gone"));
      return send(command, ...rest);
    };
    const open = (redis: typeof dying, parkMs?: number) =>
      createBullmqQueueBackend({
        redis: redis.commands,
        queueConnection: redis.queueCommands,
        blockingConnection: () => redis.openBlocking(),
        prefix: unique.prefix,
        ...(parkMs === undefined ? {} : { parkMs }),
      });
    const [a, b] = [open(dying, 50), open(alive)];
    try {
      await a.enqueue({ id: "a", queue: "q", payload: {}, maxAttempts: 1 }, Date.now());
      const claimed = (await a.claim("q", Date.now(), 30_000))!;
      const followUp = { id: "a:webhook", queue: "hooks", payload: { body: "done" }, maxAttempts: 5, parentId: "a" };
      await expect(a.complete("a", claimed.leaseToken, "cat", Date.now(), [followUp])).rejects.toThrow();
      expect(await b.get("a")).toMatchObject({ status: "completed", result: "cat" });
      await new Promise((resolve) => setTimeout(resolve, 80));
      const delivery = (await b.claim("hooks", Date.now(), 30_000))!;
      expect(delivery).toMatchObject({ id: "a:webhook", payload: { body: "done" }, parentId: "a" });
      expect(await b.get("a:webhook")).toMatchObject({ status: "running", queue: "hooks" });
      expect(await b.complete("a:webhook", delivery.leaseToken, { statusCode: 200 }, Date.now())).toBe(true);
      expect(await b.get("a:webhook")).toMatchObject({ status: "completed" });
    } finally {
      await Promise.all([a.close(), b.close()]);
      await Promise.all([dying.close(), alive.close()]);
      await unique.clean();
      vi.useFakeTimers({ toFake: ["Date"] });
    }
  });
});

/**
 * What a caption job with a webhook costs in Redis calls, every connection counted: BullMQ's
 * scripts (add, claim, finish, for the job and its webhook, the webhook parked and released),
 * Station's capacity script and a handful of plain commands. Station keeps no hash of its own
 * per job: its fields go into BullMQ's hash, and only on the paths that put a job back.
 */
describe("the Redis calls of one job", () => {
  it("stays within its budget and leaves no Station hash per job", async () => {
    const unique = uniqueRedisPrefix();
    const redis = await connectRedis(testRedisUrl);
    let calls = 0;
    const counted = <T extends { sendCommand: (...args: never[]) => unknown }>(connection: T): T => {
      const send = connection.sendCommand.bind(connection) as (...args: unknown[]) => unknown;
      (connection as { sendCommand: unknown }).sendCommand = (...args: unknown[]) => {
        calls++;
        return send(...args);
      };
      return connection;
    };
    const backend = createBullmqQueueBackend({
      redis: counted(redis.commands),
      queueConnection: counted(redis.queueCommands),
      blockingConnection: () => counted(redis.openBlocking()),
      prefix: unique.prefix,
    });
    try {
      const cycle = async (id: string) => {
        const now = Date.now();
        vi.setSystemTime(now);
        await backend.enqueue({ id, queue: "caption", payload: {}, maxAttempts: 3 }, now, { capacity: 100 });
        const job = (await backend.claim("caption", now, 30_000))!;
        const followUp = { id: `msg_${id}`, queue: "webhook", payload: {}, maxAttempts: 5, parentId: id };
        expect(await backend.complete(id, job.leaseToken, { caption: "cat" }, now, [followUp])).toBe(true);
        const delivery = (await backend.claim("webhook", now, 30_000))!;
        await backend.recordWebhookAttempt({
          jobId: id,
          deliveryId: delivery.id,
          attempt: 1,
          url: "x",
          attemptedAt: now,
          durationMs: 1,
          ok: true,
        });
        expect(await backend.complete(delivery.id, delivery.leaseToken, { statusCode: 200 }, now)).toBe(true);
      };
      await cycle("warm-up"); // connections, scripts loaded
      calls = 0;
      for (let index = 0; index < 5; index++) await cycle(`job-${index}`);
      // 8 scripts (reserve, add, claim, park, finish, release with the webhook's queue, then the
      // webhook's claim and finish) and 1 command (its attempt). The reservation is dropped by the
      // next reservation's script.
      expect(calls / 5).toBeLessThanOrEqual(9);
      const keys = await redis.commands.keys(`${unique.prefix}:station:job:*`);
      expect(keys).toEqual([]);
    } finally {
      await backend.close();
      await redis.close();
      await unique.clean();
    }
  });
});

describe("the Redis calls of jobs a busy worker runs one after another", () => {
  it("hands out each next job with the completion: no claim of its own", async () => {
    const unique = uniqueRedisPrefix();
    const redis = await connectRedis(testRedisUrl);
    const sent: string[] = [];
    const counted = <T extends { sendCommand: (...args: never[]) => unknown }>(connection: T): T => {
      const send = connection.sendCommand.bind(connection) as (...args: unknown[]) => unknown;
      (connection as { sendCommand: unknown }).sendCommand = (command: { name: string }, ...rest: unknown[]) => {
        sent.push(command.name);
        return send(command, ...rest);
      };
      return connection;
    };
    const backend = createBullmqQueueBackend({
      redis: counted(redis.commands),
      queueConnection: counted(redis.queueCommands),
      blockingConnection: () => counted(redis.openBlocking()),
      prefix: unique.prefix,
    });
    const take = { queue: "caption", leaseMs: 30_000 };
    try {
      const now = Date.now();
      vi.setSystemTime(now);
      const count = 6;
      for (let index = 0; index < count; index++) {
        await backend.enqueue({ id: `job-${index}`, queue: "caption", payload: {}, maxAttempts: 3 }, now, { capacity: 100 });
      }
      let job = await backend.claim("caption", now, 30_000);
      sent.length = 0;
      const done: string[] = [];
      while (job !== undefined) {
        done.push(job.id);
        const followUp = { id: `msg_${job.id}`, queue: "webhook", payload: {}, maxAttempts: 5, parentId: job.id };
        const settled = await backend.completeAndClaimNext(job.id, job.leaseToken, { caption: "cat" }, now, [followUp], take);
        expect(settled.stored).toBe(true);
        job = settled.next;
      }
      expect(done).toEqual(Array.from({ length: count }, (_, index) => `job-${index}`));
      // Per job: park the webhook (BullMQ's add), finish and hand out the next, release the webhook
      // with its queue: 3 (a claim of its own would make it 4), and one call left over from the claim.
      expect(sent.length / count).toBeLessThanOrEqual(3.5);
      expect(await backend.counts("caption")).toMatchObject({ queued: 0, running: 0, completed: count });
    } finally {
      await backend.close();
      await redis.close();
      await unique.clean();
    }
  });
});

describe("the lease sweep", () => {
  it("reads a running job's data (a caption's image) only once its lease has ended", async () => {
    const unique = uniqueRedisPrefix();
    const redis = await connectRedis(testRedisUrl);
    const sent: string[] = [];
    const send = redis.commands.sendCommand.bind(redis.commands) as (...args: unknown[]) => unknown;
    (redis.commands as { sendCommand: unknown }).sendCommand = (command: { name: string }, ...rest: unknown[]) => {
      sent.push(command.name);
      return send(command, ...rest);
    };
    const backend = createBullmqQueueBackend({
      redis: redis.commands,
      queueConnection: redis.queueCommands,
      blockingConnection: () => redis.openBlocking(),
      prefix: unique.prefix,
    });
    try {
      await at(1, (now) => backend.enqueue({ id: "a", queue: "q", payload: { image: "x".repeat(100_000) }, maxAttempts: 2 }, now));
      const claimed = (await at(2, (now) => backend.claim("q", now, 30_000)))!;
      sent.length = 0;
      expect(await at(1000, (now) => backend.requeueExpired(now))).toBe(0);
      expect(sent).not.toContain("hgetall");
      // One script for the queue, however many jobs run in it (no call per running job), and
      // one look at the notes of jobs an expired lease failed for good.
      expect(sent).toEqual(["evalsha", "smembers"]);
      expect(await at(40_000, (now) => backend.requeueExpired(now))).toBe(1);
      expect(sent).toContain("hgetall");
      expect(await backend.complete("a", claimed.leaseToken, "late", 40_001)).toBe(false);
    } finally {
      await backend.close();
      await redis.close();
      await unique.clean();
    }
  });
});

/**
 * A claim's process killed between parking its webhook and storing its completion (issue 14):
 * the parked webhook kept its id, so the claim that re-ran the job had its own add ignored and
 * released the dead claim's instead (its result, never stored), a re-run that failed for good
 * still let the dead claim's "completed" fire, and a re-run longer than the park let it fire
 * before the job had finished at all. Instance A dies after its park reaches Redis: every later
 * command of its process is refused.
 */
describe("a webhook parked by a claim whose process died before completing", () => {
  let unique: ReturnType<typeof uniqueRedisPrefix>;
  let dying: Awaited<ReturnType<typeof connectRedis>>;
  let alive: Awaited<ReturnType<typeof connectRedis>>;
  let a: ReturnType<typeof createBullmqQueueBackend>;
  let b: ReturnType<typeof createBullmqQueueBackend>;
  let dead = false;
  /** A command (by name) whose sending kills A's process: it and everything after it fail. */
  let dieAt: string | undefined;
  beforeEach(async () => {
    unique = uniqueRedisPrefix();
    [dying, alive] = await Promise.all([connectRedis(testRedisUrl), connectRedis(testRedisUrl)]);
    dead = false;
    dieAt = undefined;
    // The park (BullMQ's add, on the queue connection) goes out; nothing after it does.
    const killable = <T extends { sendCommand: (...args: never[]) => unknown }>(connection: T): T => {
      const send = connection.sendCommand.bind(connection) as (...args: unknown[]) => unknown;
      (connection as { sendCommand: unknown }).sendCommand = (
        command: { name: string; reject: (error: Error) => void; promise: Promise<unknown> },
        ...rest: unknown[]
      ) => {
        if (command.name === dieAt) dead = true;
        if (!dead) return send(command, ...rest);
        command.reject(new Error("the process is gone"));
        return command.promise;
      };
      return connection;
    };
    a = createBullmqQueueBackend({
      redis: killable(dying.commands),
      queueConnection: dying.queueCommands,
      blockingConnection: () => killable(dying.openBlocking()),
      prefix: unique.prefix,
    });
    b = createBullmqQueueBackend({
      redis: alive.commands,
      queueConnection: alive.queueCommands,
      blockingConnection: () => alive.openBlocking(),
      prefix: unique.prefix,
    });
  });
  afterEach(async () => {
    dead = false;
    await Promise.all([a.close(), b.close()]);
    await Promise.all([dying.close(), alive.close()]);
    await unique.clean();
  });

  const hook = (body: string) => ({ id: "a:webhook", queue: "hooks", payload: { body }, maxAttempts: 5, parentId: "a" });
  /** A claims, parks its webhook and dies; its lease ends and B claims the job again. */
  const crashThenRerun = async (leaseMs: number) => {
    await at(1, (now) => b.enqueue({ id: "a", queue: "q", payload: {}, maxAttempts: 3 }, now));
    const first = (await at(10, (now) => a.claim("q", now, 100)))!;
    dead = true;
    await expect(at(20, (now) => a.complete("a", first.leaseToken, "never stored", now, [hook("never stored")]))).rejects.toThrow();
    dead = false;
    expect(await at(200, (now) => b.requeueExpired(now))).toBe(1);
    const rerun = (await at(210, (now) => b.claim("q", now, leaseMs)))!;
    expect(rerun.attempts).toBe(2);
    return rerun;
  };
  /** Every webhook job there is to run, past any park's end, each completed once run. */
  const deliveries = async (from: number) => {
    const bodies: unknown[] = [];
    for (let time = from; ; time++) {
      const delivery = await at(time, (now) => b.claim("hooks", now, 1000));
      if (delivery === undefined) return bodies;
      bodies.push((delivery.payload as { body: unknown }).body);
      expect(await at(time, (now) => b.complete(delivery.id, delivery.leaseToken, { statusCode: 200 }, now))).toBe(true);
    }
  };

  it("sends the re-run's completed result, once", async () => {
    const rerun = await crashThenRerun(1000);
    expect(await at(230, (now) => b.complete("a", rerun.leaseToken, "stored", now, [hook("stored")]))).toBe(true);
    expect(await b.get("a")).toMatchObject({ status: "completed", result: "stored" });
    expect(await b.get("a:webhook")).toMatchObject({ status: "queued", payload: { body: "stored" } });
    expect(await deliveries(240)).toEqual(["stored"]);
    expect(await deliveries(60_000)).toEqual([]);
  });

  it("sends the re-run's failure when it fails for good, once", async () => {
    const rerun = await crashThenRerun(1000);
    const error = { code: "job_timeout", message: "too slow" };
    expect(await at(230, (now) => b.fail("a", rerun.leaseToken, error, now, { followUps: [hook("failed")] }))).toBe("failed");
    expect(await b.get("a")).toMatchObject({ status: "failed", error });
    expect(await deliveries(240)).toEqual(["failed"]);
    expect(await deliveries(60_000)).toEqual([]);
  });

  it("does not send it when its park ends while the re-run is still running", async () => {
    const rerun = await crashThenRerun(120_000);
    expect(await deliveries(40_000)).toEqual([]);
    expect(await b.get("a")).toMatchObject({ status: "running" });
    expect(await at(50_000, (now) => b.complete("a", rerun.leaseToken, "stored", now, [hook("stored")]))).toBe(true);
    expect(await deliveries(50_010)).toEqual(["stored"]);
    expect(await deliveries(120_000)).toEqual([]);
  });

  /** The lease sweep's follow-up of a job it fails for good, as the caption queue makes it. */
  const failureHook = (job: JobRecord): NewJob[] => [hook(`failed: ${job.error?.code}`)];
  /** A claims the job's only attempt, parks its webhook and dies. */
  const crashOnLastAttempt = async () => {
    await at(1, (now) => b.enqueue({ id: "a", queue: "q", payload: {}, maxAttempts: 1 }, now));
    const first = (await at(10, (now) => a.claim("q", now, 100)))!;
    dead = true;
    await expect(at(20, (now) => a.complete("a", first.leaseToken, "never stored", now, [hook("never stored")]))).rejects.toThrow();
    dead = false;
  };

  it("is replaced by the failure's webhook when the lease sweep fails the job for good, sent once", async () => {
    await crashOnLastAttempt();
    expect(await at(200, (now) => b.requeueExpired(now, failureHook))).toBe(1);
    expect(await b.get("a")).toMatchObject({ status: "failed", error: { code: "lease_expired" } });
    expect(await b.get("a:webhook")).toMatchObject({ status: "queued", payload: { body: "failed: lease_expired" } });
    expect(await at(300, (now) => b.requeueExpired(now, failureHook))).toBe(0);
    expect(await deliveries(310)).toEqual(["failed: lease_expired"]);
    expect(await deliveries(60_000)).toEqual([]);
  });

  it("is never sent once the lease sweep failed its job, even with no follow-up of the failure's", async () => {
    await crashOnLastAttempt();
    expect(await at(200, (now) => b.requeueExpired(now))).toBe(1);
    expect(await deliveries(60_000)).toEqual([]);
  });

  it("gives way to the failure's webhook when the sweeper dies between failing the job and enqueueing it", async () => {
    await crashOnLastAttempt();
    // A's sweep fails the job for good (BullMQ's script), then its process dies before the webhook.
    dieAt = "smembers";
    await expect(at(200, (now) => a.requeueExpired(now, failureHook))).rejects.toThrow();
    dead = false;
    expect(await b.get("a")).toMatchObject({ status: "failed", error: { code: "lease_expired" } });
    // Another instance's next sweep has nothing left to move, and sends the failure.
    expect(await at(300, (now) => b.requeueExpired(now, failureHook))).toBe(0);
    expect(await deliveries(310)).toEqual(["failed: lease_expired"]);
    expect(await deliveries(60_000)).toEqual([]);
  });

  it("is not removed by a stale claim of an earlier re-run that settles meanwhile", async () => {
    // A third instance holds the stale claim (its process never learnt it lost it).
    const c = createBullmqQueueBackend({
      redis: alive.commands,
      queueConnection: alive.queueCommands,
      blockingConnection: () => alive.openBlocking(),
      prefix: unique.prefix,
    });
    await at(1, (now) => b.enqueue({ id: "a", queue: "q", payload: {}, maxAttempts: 4 }, now));
    await at(10, (now) => b.claim("q", now, 100));
    expect(await at(200, (now) => b.requeueExpired(now))).toBe(1);
    const stale = (await at(210, (now) => c.claim("q", now, 100)))!;
    expect(await at(400, (now) => b.requeueExpired(now))).toBe(1);
    // The current claim (its lock held) parks its webhook, then its process dies.
    const current = (await at(410, (now) => a.claim("q", now, 30_000)))!;
    dead = true;
    await expect(at(420, (now) => a.complete("a", current.leaseToken, "current", now, [hook("current")]))).rejects.toThrow();
    dead = false;
    try {
      expect(await at(430, (now) => c.complete("a", stale.leaseToken, "stale", now, [hook("stale")]))).toBe(false);
    } finally {
      await c.close();
    }
    const data = await alive.commands.hget(`${unique.prefix}:hooks:a%3Awebhook`, "data");
    expect(data).toContain(`"parkedBy":"${current.leaseToken}"`);
  });
});
