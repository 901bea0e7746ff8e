import type { Redis } from "ioredis";
import type { McpChangeFeed } from "./mcp-change-feed.ts";

/**
 * The MCP change feed on Redis pub/sub: `publish` on the command connection, and one subscriber
 * connection (ioredis subscribes again by itself after a reconnect). A message lost while Redis
 * was away is covered by the registry's slow poll.
 *
 * SUBSCRIBE waits for the connection's "ready": sent during ioredis's connect handshake it can
 * land before the INFO ready check, which Redis then refuses in subscriber mode, and ioredis
 * reconnects without the subscription (redis/ioredis#2037): that instance never heard a change.
 */
export function createRedisMcpChangeFeed(commands: Redis, subscriber: Redis, prefix: string): McpChangeFeed {
  const channel = `${prefix}:station:mcp-servers-changed`;
  const listeners = new Set<() => void>();
  let subscribed = false;
  subscriber.on("message", (from: string) => {
    if (from !== channel) return;
    for (const listener of listeners) listener();
  });
  return {
    async publish() {
      await commands.publish(channel, "1");
    },
    subscribe(onChange) {
      listeners.add(onChange);
      if (!subscribed) {
        subscribed = true;
        whenReady(subscriber)
          .then(() => subscriber.subscribe(channel))
          .catch(() => {
            subscribed = false;
          });
      }
      return () => {
        listeners.delete(onChange);
        if (listeners.size === 0) {
          subscribed = false;
          void subscriber.unsubscribe(channel).catch(() => undefined);
        }
      };
    },
  };
}

function whenReady(connection: Redis): Promise<void> {
  if (connection.status === "ready") return Promise.resolve();
  return new Promise((resolve) => connection.once("ready", () => resolve()));
}
