import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { StationError } from "../errors/station-error.ts";
import { createLogger } from "../logging/create-logger.ts";
import { type Database, openDatabase } from "../storage/database.ts";
import { migrate } from "../storage/migrate.ts";
import { createSqliteQueueBackend } from "./create-sqlite-queue-backend.ts";
import { createWorkerPool, type WorkerPoolOptions } from "./create-worker-pool.ts";
import type { JobRecord, QueueBackend } from "./queue-backend.ts";

describe("createWorkerPool", () => {
  let directory: string;
  let database: Database;
  let backend: QueueBackend;
  const pools: { stop(): Promise<void> }[] = [];

  beforeEach(async () => {
    directory = mkdtempSync(path.join(tmpdir(), "station-pool-"));
    database = openDatabase(path.join(directory, "station.db"));
    await migrate(database);
    backend = createSqliteQueueBackend(database.sqlite);
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.stop()));
    await database.close();
    rmSync(directory, { recursive: true, force: true });
  });

  const start = (options: Partial<WorkerPoolOptions> & Pick<WorkerPoolOptions, "handler">) => {
    const pool = createWorkerPool({
      backend,
      queue: "q",
      concurrency: 2,
      leaseMs: 5000,
      jobTimeoutMs: 5000,
      backoff: () => 0,
      logger: createLogger("silent"),
      pollIntervalMs: 10,
      ...options,
    });
    pools.push(pool);
    pool.start();
    return pool;
  };
  const settled = async (id: string): Promise<JobRecord> => {
    for (;;) {
      const job = await backend.get(id);
      if (job !== undefined && !["queued", "running"].includes(job.status)) return job;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };

  it("runs jobs and enqueues follow-ups with the result", async () => {
    start({
      handler: async (job) => ({ doubled: (job.payload as { n: number }).n * 2 }),
      followUps: (job, outcome) => [{ id: `after-${job.id}`, queue: "next", payload: outcome, maxAttempts: 1 }],
    });
    await backend.enqueue({ id: "a", queue: "q", payload: { n: 21 }, maxAttempts: 1 }, Date.now());
    expect(await settled("a")).toMatchObject({ status: "completed", result: { doubled: 42 } });
    expect(await backend.get("after-a")).toMatchObject({ payload: { status: "completed", result: { doubled: 42 } } });
  });

  it("retries retryable errors, fails others at once, and times out slow attempts as retryable", async () => {
    let calls = 0;
    start({
      jobTimeoutMs: 100,
      handler: async (job, signal) => {
        if (job.id === "flaky" && ++calls < 3)
          throw new StationError({ code: "upstream_error", status: 502, message: "try again", isRetryable: true });
        if (job.id === "broken") throw new StationError({ code: "invalid_image", status: 400, message: "bad image" });
        if (job.id === "slow") await new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
        return "ok";
      },
    });
    const now = Date.now();
    await backend.enqueue({ id: "flaky", queue: "q", payload: {}, maxAttempts: 5 }, now);
    await backend.enqueue({ id: "broken", queue: "q", payload: {}, maxAttempts: 5 }, now);
    await backend.enqueue({ id: "slow", queue: "q", payload: {}, maxAttempts: 2 }, now);
    expect(await settled("flaky")).toMatchObject({ status: "completed", attempts: 3 });
    expect(await settled("broken")).toMatchObject({ status: "failed", attempts: 1, error: { code: "invalid_image" } });
    expect(await settled("slow")).toMatchObject({ status: "failed", attempts: 2, error: { code: "job_timeout" } });
  });

  it("polls with one idle worker at a time, and still finds work due later whichever worker is busy", async () => {
    let claims = 0;
    const counted: QueueBackend = {
      ...backend,
      claim: (...args) => {
        claims++;
        return backend.claim(...args);
      },
    };
    let releaseLong: () => void = () => {};
    const longRunning = new Promise<void>((resolve) => {
      releaseLong = resolve;
    });
    start({
      backend: counted,
      concurrency: 4,
      pollIntervalMs: 20,
      handler: async (job) => {
        if (job.id === "long") await longRunning;
        return "ok";
      },
    });
    const idleFor = 400;
    await new Promise((resolve) => setTimeout(resolve, idleFor));
    // Four workers each polling would have claimed ~80 times; one poller claims at most once per
    // interval (plus each worker's first look).
    expect(claims).toBeGreaterThan(0);
    expect(claims).toBeLessThanOrEqual(idleFor / 20 + 4);
    // Jobs enqueued behind the pool's back (no wake): the poller takes one and hands the polling on.
    await backend.enqueue({ id: "long", queue: "q", payload: {}, maxAttempts: 1 }, Date.now());
    await backend.enqueue({ id: "later", queue: "q", payload: {}, maxAttempts: 1, runAt: Date.now() + 100 }, Date.now());
    expect(await settled("later")).toMatchObject({ status: "completed" });
    expect(await backend.get("long")).toMatchObject({ status: "running" });
    releaseLong();
    expect(await settled("long")).toMatchObject({ status: "completed" });
  });

  it("aborts a running job that is cancelled, and releases running jobs on stop without spending an attempt", async () => {
    const started: string[] = [];
    const pool = start({
      concurrency: 1,
      handler: async (job, signal) => {
        started.push(job.id);
        await new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
      },
    });
    await backend.enqueue({ id: "cancel-me", queue: "q", payload: {}, maxAttempts: 1 }, Date.now());
    while (!started.includes("cancel-me")) await new Promise((resolve) => setTimeout(resolve, 5));
    await backend.cancel("cancel-me", Date.now());
    pool.abort("cancel-me");
    expect(await settled("cancel-me")).toMatchObject({ status: "cancelled" });

    await backend.enqueue({ id: "interrupted", queue: "q", payload: {}, maxAttempts: 1 }, Date.now());
    while (!started.includes("interrupted")) await new Promise((resolve) => setTimeout(resolve, 5));
    await pool.stop();
    expect(await backend.get("interrupted")).toMatchObject({ status: "queued", attempts: 0 });
  });
});
