import { Redis } from "ioredis";
import { ConfigError } from "../config/config-error.ts";
import { redactUrl } from "../storage/redact-url.ts";

export interface RedisConnections {
  /** For commands: fails fast while Redis is down (a 503 to the caller, never a hung request). */
  commands: Redis;
  /**
   * For BullMQ's queues (adding, promoting jobs): fails fast like `commands`, but is not
   * auto-pipelined. BullMQ defines some eighty scripts on its connection, and ioredis copies
   * every defined script onto each batch it creates: on `commands` that cost more than it saved.
   */
  queueCommands: Redis;
  /** For BullMQ's workers (their blocking wait for jobs is a copy BullMQ makes): each retries for ever and resumes by itself. */
  openBlocking(): Redis;
  /** Round-trip time of a PING, or the reason it failed. */
  ping(): Promise<{ reachable: boolean; latencyMs: number | null; error?: string }>;
  close(): Promise<void>;
}

/**
 * Connects to Redis and proves it answers before start-up goes on: a server that does not is
 * a ConfigError (exit 2) naming `queue.redisUrl`, with the password redacted.
 */
export async function connectRedis(url: string, options: { connectTimeoutMs?: number } = {}): Promise<RedisConnections> {
  const location = redactUrl(url);
  const timeout = options.connectTimeoutMs ?? 5000;
  const failFast = {
    lazyConnect: true,
    connectTimeout: timeout,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    // Keep reconnecting after start-up (Redis restarted); each attempt a little later, at most 2 s apart.
    retryStrategy: (times: number) => Math.min(times * 100, 2000),
  };
  // Commands sent in the same tick (several workers settling at once) go out in one write:
  // each write and read costs Station and Redis CPU.
  const commands = new Redis(url, { ...failFast, enableAutoPipelining: true });
  const queueCommands = new Redis(url, failFast);
  queueCommands.on("error", () => undefined);
  commands.on("error", () => undefined);
  try {
    await Promise.race([
      Promise.all([commands.connect(), queueCommands.connect()]),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`no answer within ${timeout} ms`)), timeout).unref()),
    ]);
    await commands.ping();
  } catch (error) {
    commands.disconnect();
    queueCommands.disconnect();
    throw new ConfigError(`key 'queue.redisUrl': cannot connect to Redis at ${location}: ${(error as Error).message}`);
  }
  const blocking: Redis[] = [];
  return {
    commands,
    queueCommands,
    openBlocking() {
      const connection = new Redis(url, {
        maxRetriesPerRequest: null,
        retryStrategy: (times) => Math.min(times * 100, 2000),
      });
      connection.on("error", () => undefined);
      blocking.push(connection);
      return connection;
    },
    async ping() {
      const started = performance.now();
      try {
        await commands.ping();
        return { reachable: true, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
      } catch (error) {
        return { reachable: false, latencyMs: null, error: (error as Error).message };
      }
    },
    async close() {
      for (const connection of blocking) connection.disconnect();
      commands.disconnect();
      queueCommands.disconnect();
    },
  };
}
