import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";

/** The Redis server tests use; override with STATION_TEST_REDIS_URL. */
export const testRedisUrl = process.env.STATION_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

/** A key prefix no other test uses; `clean` deletes every key under it. */
export function uniqueRedisPrefix(): { prefix: string; clean(): Promise<void> } {
  const prefix = `station-test-${randomBytes(6).toString("hex")}`;
  return {
    prefix,
    async clean() {
      const redis = new Redis(testRedisUrl);
      try {
        let cursor = "0";
        do {
          const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
          cursor = next;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== "0");
      } finally {
        redis.disconnect();
      }
    },
  };
}
