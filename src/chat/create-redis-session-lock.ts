import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";
import type { SessionLock } from "./session-lock.ts";

const releaseScript = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) else return 0 end`;
const renewScript = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) else return 0 end`;

/**
 * The chat session lock across instances: `SET NX PX` on a key per session, renewed while
 * the turn runs and deleted only by its holder. If the instance dies mid-turn the key expires
 * after `ttlMs`, so a session is never locked for ever.
 */
export function createRedisSessionLock(redis: Redis, prefix: string, ttlMs = 30_000): SessionLock {
  const key = (sessionId: string) => `${prefix}:station:chat-session-lock:${sessionId}`;
  return {
    async isBusy(sessionId) {
      return (await redis.exists(key(sessionId))) === 1;
    },
    async acquire(sessionId) {
      const token = randomUUID();
      if ((await redis.set(key(sessionId), token, "PX", ttlMs, "NX")) !== "OK") return undefined;
      const renew = setInterval(
        () => void redis.eval(renewScript, 1, key(sessionId), token, String(ttlMs)).catch(() => undefined),
        Math.floor(ttlMs / 3),
      );
      renew.unref();
      return async () => {
        clearInterval(renew);
        await redis.eval(releaseScript, 1, key(sessionId), token).catch(() => undefined);
      };
    },
  };
}
