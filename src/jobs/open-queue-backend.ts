import { hostname } from "node:os";
import type { SessionLock } from "../chat/session-lock.ts";
import type { StationConfig } from "../config/schema.ts";
import { createRedisMcpChangeFeed } from "../mcp/create-redis-mcp-change-feed.ts";
import type { McpChangeFeed } from "../mcp/mcp-change-feed.ts";
import type { Database } from "../storage/database.ts";
import { createSqliteQueueBackend } from "./create-sqlite-queue-backend.ts";
import type { QueueBackend } from "./queue-backend.ts";

/** How the queue's store answers (GET /health, /v1/system/metrics, `station doctor`). */
export interface QueueHealth {
  backend: "sqlite" | "bullmq";
  reachable: boolean;
  latencyMs: number | null;
  error?: string;
}

export interface OpenedQueueBackend {
  backend: QueueBackend;
  /** Shared mode: the chat session lock across instances. */
  sessionLock?: SessionLock;
  /** Shared mode: MCP server changes announced to every instance (Redis pub/sub). */
  mcpChanges?: McpChangeFeed;
  /** Starts recovery of jobs left by dead instances (BullMQ's stalled check); SQLite recovers at start-up instead. */
  startRecovery(queues: string[]): Promise<void>;
  health(): Promise<QueueHealth>;
  close(): Promise<void>;
}

/** The queue `queue.backend` names: in the SQLite database, or BullMQ on the shared Redis. */
export async function openQueueBackend(config: StationConfig, database: Database): Promise<OpenedQueueBackend> {
  const { queue } = config;
  if (queue.backend === "bullmq" && queue.redisUrl !== undefined) {
    // BullMQ and ioredis are imported only when configured: they are a fifth of start-up otherwise.
    const [{ connectRedis }, { createBullmqQueueBackend }, { createRedisSessionLock }] = await Promise.all([
      import("./connect-redis.ts"),
      import("./create-bullmq-queue-backend.ts"),
      import("../chat/create-redis-session-lock.ts"),
    ]);
    const redis = await connectRedis(queue.redisUrl);
    const backend = createBullmqQueueBackend({
      redis: redis.commands,
      queueConnection: redis.queueCommands,
      blockingConnection: () => redis.openBlocking(),
      prefix: queue.prefix,
      parkMs: queue.leaseMs,
      // A dead instance's jobs come back within about one lease.
      stalledIntervalMs: Math.min(30_000, queue.leaseMs),
      instanceName: `${hostname()}:${process.pid}`,
      leaseMs: queue.leaseMs,
    });
    return {
      backend,
      sessionLock: createRedisSessionLock(redis.commands, queue.prefix),
      mcpChanges: createRedisMcpChangeFeed(redis.commands, redis.openBlocking(), queue.prefix),
      startRecovery: (queues) => backend.startRecovery(queues),
      async health() {
        return { backend: "bullmq", ...(await redis.ping()) };
      },
      async close() {
        await backend.close().catch(() => undefined);
        await redis.close();
      },
    };
  }
  if (database.dialect !== "sqlite") throw new Error("the sqlite queue needs the SQLite database");
  const sqlite = database.sqlite;
  return {
    backend: createSqliteQueueBackend(sqlite),
    startRecovery: async () => undefined,
    async health() {
      const health = await database.health();
      return { backend: "sqlite", reachable: health.reachable, latencyMs: health.latencyMs };
    },
    close: async () => undefined,
  };
}
