import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeMoondreamUpstream, startFakeMoondreamUpstream } from "../support/fake-moondream-upstream.ts";
import { createPostgresTestDatabase, type PostgresTestDatabase } from "../support/postgres-test-database.ts";
import { uniqueRedisPrefix } from "../support/redis-test-prefix.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { freePort, runStation } from "../support/station-process.ts";
import { startTcpProxy, type TcpProxy } from "../support/tcp-proxy.ts";
import { solidPng } from "../support/vision-images.ts";
import { eventually } from "../support/webhook-receiver.ts";

const secret = `whsec_${randomBytes(24).toString("base64")}`;

/**
 * Shared backends going away. PostgreSQL and Redis are reached through TCP proxies that the
 * test stops and starts, so the servers other tests use are never touched.
 */
describe("shared backends unavailable", () => {
  let database: PostgresTestDatabase;
  let redisPrefix: ReturnType<typeof uniqueRedisPrefix>;
  let postgresProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let station: TestStation;
  let directory: string;
  let moondream: FakeMoondreamUpstream;

  beforeAll(async () => {
    moondream = await startFakeMoondreamUpstream();
    database = await createPostgresTestDatabase();
    redisPrefix = uniqueRedisPrefix();
    postgresProxy = await startTcpProxy(5432);
    redisProxy = await startTcpProxy(6379);
    directory = mkdtempSync(path.join(tmpdir(), "station-faults-"));
    station = await startTestStation({
      config: {
        providers: [{ id: "md", type: "moondream", baseUrl: moondream.url }],
        security: { allowPrivateNetworks: true },
        storage: { backend: "postgres", url: database.url.replace(":5432/", `:${postgresProxy.port}/`), poolSize: 2 },
        queue: { backend: "bullmq", redisUrl: `redis://127.0.0.1:${redisProxy.port}`, prefix: redisPrefix.prefix, capacity: 10 },
        webhooks: { secret },
      },
    });
  }, 60_000);
  afterAll(async () => {
    await station?.close();
    await moondream?.close();
    await postgresProxy?.close();
    await redisProxy?.close();
    await database?.drop();
    await redisPrefix?.clean();
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  });

  const submit = async () =>
    fetch(`${station.url}/caption/generate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ image_data: (await solidPng(8, 8)).toString("base64") }),
    });

  it("answers 503 queue_unavailable while Redis is gone, writes nothing, and accepts again when it is back", async () => {
    const first = await submit();
    expect(first.status, await first.clone().text()).toBe(202);
    await redisProxy.stop();
    const refused = await submit();
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: { code: "queue_unavailable" } });
    const health = await fetch(`${station.url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: "unavailable", queue: { backend: "bullmq", reachable: false } });
    await redisProxy.start();
    const accepted = await eventually(async () => ((await submit()).status === 202 ? true : undefined), 20_000);
    expect(accepted).toBe(true);
    // Exactly the two accepted jobs exist: the refused one left nothing behind.
    const stats = (await (await fetch(`${station.url}/caption/stats`)).json()) as {
      queued: number;
      running: number;
      completed: number;
      failed: number;
    };
    expect(stats.queued + stats.running + stats.completed + stats.failed).toBe(2);
  }, 60_000);

  it("answers 503 database_unavailable while PostgreSQL is gone and recovers by itself", async () => {
    expect((await fetch(`${station.url}/api/chat/sessions`)).status).toBe(200);
    await postgresProxy.stop();
    const refused = await fetch(`${station.url}/api/chat/sessions`);
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: { code: "database_unavailable" } });
    expect(await (await fetch(`${station.url}/health`)).json()).toMatchObject({ storage: { backend: "postgres", reachable: false } });
    await postgresProxy.start();
    await eventually(async () => ((await fetch(`${station.url}/api/chat/sessions`)).status === 200 ? true : undefined), 20_000);
    const health = (await (await fetch(`${station.url}/health`)).json()) as { storage: { reachable: boolean; pool: object } };
    expect(health.storage).toMatchObject({ reachable: true, pool: { max: 2 } });
  }, 60_000);

  it("stops start-up with exit 2 naming the key, never the password, when Redis or PostgreSQL does not answer", async () => {
    const closedPort = await freePort();
    for (const [document, key] of [
      [{ queue: { backend: "bullmq", redisUrl: `redis://:hunter2@127.0.0.1:${closedPort}` } }, "queue.redisUrl"],
      [{ storage: { backend: "postgres", url: `postgres://postgres:hunter2@127.0.0.1:${closedPort}/x` } }, "storage.url"],
    ] as const) {
      const file = path.join(directory, `${key}.json`);
      writeFileSync(
        file,
        JSON.stringify(
          Object.assign(
            {
              dataDir: path.join(directory, "data"),
              providers: [],
              webhooks: { secret },
              server: { port: await freePort() },
              storage: { backend: "postgres", url: database.url },
              queue: { backend: "bullmq", redisUrl: "redis://127.0.0.1:6379", prefix: redisPrefix.prefix },
            },
            // The unreachable one replaces its healthy counterpart.
            document,
          ),
        ),
      );
      const run = runStation(["serve", "--config", file]);
      expect(await run.exited).toBe(2);
      expect(run.output()).toContain(`key '${key}'`);
      expect(run.output()).not.toContain("hunter2");
    }
  }, 90_000);
});
