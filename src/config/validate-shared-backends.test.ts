import { describe, expect, it } from "vitest";
import { ConfigError } from "./config-error.ts";
import { loadConfig, parseConfig } from "./load-config.ts";

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

function failure(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("storage and queue backends in the config", () => {
  it("defaults to SQLite for both, needing neither PostgreSQL nor Redis", () => {
    const config = parseConfig({});
    expect(config.storage).toEqual({ backend: "sqlite", poolSize: 10 });
    expect(config.queue).toMatchObject({ backend: "sqlite", prefix: "station", capacity: 50, concurrency: 2 });
  });

  it("accepts PostgreSQL + BullMQ with their URLs, keeping the queue's other keys", () => {
    const config = parseConfig({
      storage: { backend: "postgres", url: "postgres://station@db.internal:5432/station", poolSize: 20 },
      queue: { backend: "bullmq", redisUrl: "redis://cache.internal:6379", prefix: "prod", capacity: 500, concurrency: 8 },
      webhooks: { secret },
    });
    expect(config.storage).toEqual({ backend: "postgres", url: "postgres://station@db.internal:5432/station", poolSize: 20 });
    expect(config.queue).toMatchObject({ backend: "bullmq", redisUrl: "redis://cache.internal:6379", prefix: "prod", capacity: 500 });
  });

  it("names the key of a bad URL and never repeats the password", () => {
    const message = failure(() =>
      parseConfig({ storage: { backend: "postgres", url: "mysql://root:hunter2@db/station" }, queue: { backend: "bullmq" } }, "x.yaml"),
    );
    expect(message).toContain("key 'storage.url'");
    expect(message).not.toContain("hunter2");
    const redis = failure(() => parseConfig({ queue: { redisUrl: "http://:s3cret@cache:6379" } }));
    expect(redis).toContain("key 'queue.redisUrl'");
    expect(redis).not.toContain("s3cret");
  });

  it("requires the URL, both shared backends together, and a configured webhook secret", () => {
    expect(failure(() => parseConfig({ storage: { backend: "postgres" } }))).toMatch(/storage\.url.*STATION_DATABASE_URL/);
    expect(failure(() => parseConfig({ storage: { backend: "postgres", url: "postgres://db/s" }, webhooks: { secret } }))).toMatch(
      /key 'queue\.backend': must be bullmq/,
    );
    expect(failure(() => parseConfig({ queue: { backend: "bullmq", redisUrl: "redis://r" } }))).toMatch(/key 'storage\.backend'/);
    expect(
      failure(() =>
        parseConfig({ storage: { backend: "postgres", url: "postgres://db/s" }, queue: { backend: "bullmq", redisUrl: "redis://r" } }),
      ),
    ).toMatch(/key 'webhooks\.secret': required with shared backends/);
  });

  it("takes STATION_DATABASE_URL and STATION_REDIS_URL over the file, selecting the shared backends", () => {
    const { config } = loadConfig(
      {},
      {
        STATION_DATABASE_URL: "postgresql://app:pw@127.0.0.1:5432/station",
        STATION_REDIS_URL: "rediss://127.0.0.1:6380",
        STATION_WEBHOOK_SECRET: secret,
      },
    );
    expect(config.storage).toMatchObject({ backend: "postgres", url: "postgresql://app:pw@127.0.0.1:5432/station" });
    expect(config.queue).toMatchObject({ backend: "bullmq", redisUrl: "rediss://127.0.0.1:6380" });
    expect(config.webhooks.secret).toBe(secret);
    expect(() => loadConfig({}, { STATION_DATABASE_URL: "postgres://db/s" })).toThrow(/queue\.backend/);
  });
});
