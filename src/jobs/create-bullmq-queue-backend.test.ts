import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { testRedisUrl, uniqueRedisPrefix } from "../../test/support/redis-test-prefix.ts";
import { connectRedis } from "./connect-redis.ts";
import { createBullmqQueueBackend } from "./create-bullmq-queue-backend.ts";
import { describeQueueBackendConformance } from "./queue-backend.conformance.ts";
import type { QueueBackend } from "./queue-backend.ts";

/** Where each method takes the caller's clock (`now`). */
const clockArgument: Partial<Record<keyof QueueBackend, number>> = {
  enqueue: 1,
  claim: 1,
  heartbeat: 2,
  complete: 3,
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
