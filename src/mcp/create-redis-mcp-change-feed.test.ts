import { once } from "node:events";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { testRedisUrl, uniqueRedisPrefix } from "../../test/support/redis-test-prefix.ts";
import { createRedisMcpChangeFeed } from "./create-redis-mcp-change-feed.ts";

const opened: Redis[] = [];

afterEach(() => {
  for (const connection of opened.splice(0)) connection.disconnect();
});

describe("the MCP change feed on Redis pub/sub", () => {
  it("hears announcements when it subscribes while its connection is still in the handshake", async () => {
    const { prefix } = uniqueRedisPrefix();
    const commands = new Redis(testRedisUrl);
    opened.push(commands);
    // The race (redis/ioredis#2037) is a matter of timing: try it on several fresh connections.
    for (let round = 0; round < 6; round++) {
      const subscriber = new Redis(testRedisUrl, { maxRetriesPerRequest: null });
      opened.push(subscriber);
      // "connect": the socket is open and ioredis is still running its handshake (CLIENT SETINFO, INFO).
      await once(subscriber, "connect");
      expect(subscriber.status).toBe("connect");
      const feed = createRedisMcpChangeFeed(commands, subscriber, prefix);
      let heard = 0;
      const unsubscribe = feed.subscribe(() => {
        heard++;
      });
      const deadline = Date.now() + 2_000;
      while (heard === 0 && Date.now() < deadline) {
        await feed.publish();
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      unsubscribe();
      expect(heard, `round ${round}`).toBeGreaterThan(0);
    }
  });
});
