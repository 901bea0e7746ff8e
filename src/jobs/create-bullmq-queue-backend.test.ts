import { afterAll, beforeAll, vi } from "vitest";
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
  const backend = createBullmqQueueBackend({ redis: redis.commands, blockingConnection: () => redis.openBlocking(), prefix });
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
