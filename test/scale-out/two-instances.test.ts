import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventsOf, postChatStream } from "../support/chat-sse-client.ts";
import { expectCompletedDeliveries } from "../support/expect-completed-deliveries.ts";
import { captionFor, type FakeMoondreamUpstream, startFakeMoondreamUpstream } from "../support/fake-moondream-upstream.ts";
import { type FakeOpenAiUpstream, startFakeOpenAiUpstream } from "../support/fake-openai-upstream.ts";
import { type McpHttpServerProcess, startEverythingHttpServer } from "../support/mcp-http-server-process.ts";
import { createPostgresTestDatabase, type PostgresTestDatabase } from "../support/postgres-test-database.ts";
import { testRedisUrl, uniqueRedisPrefix } from "../support/redis-test-prefix.ts";
import { freePort, runStation, type StationProcess, waitForHealth } from "../support/station-process.ts";
import { solidPng } from "../support/vision-images.ts";
import { eventually, startWebhookReceiver, type WebhookReceiver } from "../support/webhook-receiver.ts";

const jobCount = 24;
const secret = `whsec_${randomBytes(24).toString("base64")}`;

interface Instance {
  url: string;
  configFile: string;
  process?: StationProcess;
}

/**
 * Issue 14: two `bin/station serve` processes on one PostgreSQL database and one Redis prefix
 * behave as one Station: jobs, chat sessions, uploads and MCP servers are shared, and killing
 * an instance with SIGKILL loses nothing.
 */
describe("two Station instances on PostgreSQL + Redis (BullMQ)", () => {
  let database: PostgresTestDatabase;
  let redisPrefix: ReturnType<typeof uniqueRedisPrefix>;
  let moondream: FakeMoondreamUpstream;
  let openai: FakeOpenAiUpstream;
  let receiver: WebhookReceiver;
  let mcp: McpHttpServerProcess;
  let directory: string;
  const instances: Instance[] = [];
  const [a, b] = [0, 1].map(() => ({}) as Instance) as [Instance, Instance];

  const start = async (instance: Instance) => {
    const running = runStation(["serve", "--config", instance.configFile], { STATION_LOG_LEVEL: "warn" });
    instance.process = running;
    await waitForHealth(instance.url, 90_000).catch((error: Error) => {
      throw new Error(`${error.message}\n${running.output()}`);
    });
  };

  beforeAll(async () => {
    database = await createPostgresTestDatabase();
    redisPrefix = uniqueRedisPrefix();
    moondream = await startFakeMoondreamUpstream({ delayMs: 300 });
    openai = await startFakeOpenAiUpstream({ models: ["gpt-test"] });
    receiver = await startWebhookReceiver();
    mcp = await startEverythingHttpServer("streamableHttp");
    directory = mkdtempSync(path.join(tmpdir(), "station-scale-"));
    for (const [index, instance] of [a, b].entries()) {
      const port = await freePort();
      instance.url = `http://127.0.0.1:${port}`;
      instance.configFile = path.join(directory, `station-${index}.json`);
      writeFileSync(
        instance.configFile,
        JSON.stringify({
          server: { port },
          dataDir: path.join(directory, `data-${index}`),
          storage: { backend: "postgres", url: database.url, poolSize: 4 },
          // A short lease: jobs the killed instance held come back within seconds.
          queue: {
            backend: "bullmq",
            redisUrl: testRedisUrl,
            prefix: redisPrefix.prefix,
            concurrency: 2,
            capacity: 100,
            leaseMs: 3000,
            retryBaseDelayMs: 10,
            maxAttempts: 5,
          },
          providers: [
            { id: "md", type: "moondream", baseUrl: moondream.url },
            { id: "up", type: "openai", baseUrl: openai.url, apiKey: "sk-test" },
          ],
          webhooks: { secret, baseDelayMs: 10 },
          security: { allowPrivateNetworks: true },
        }),
      );
      instances.push(instance);
    }
    await Promise.all([start(a), start(b)]);
  }, 120_000);

  afterAll(async () => {
    for (const instance of instances) {
      const child = instance.process?.child;
      if (child !== undefined && child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        await instance.process?.exited;
      }
    }
    await mcp?.kill();
    await Promise.all([moondream?.close(), openai?.close(), receiver?.close()]);
    await database?.drop();
    await redisPrefix?.clean();
    if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  });

  it("shares chat sessions, uploads and MCP servers between the instances", async () => {
    // A chat session created through A is continued and read through B.
    openai.script({ text: "First answer" });
    const first = await postChatStream(a.url, { client_id: "shared", message: "Hello from A", model: "up/gpt-test" });
    const sessionId = eventsOf(first, "session")[0]?.session_id as string;
    expect(sessionId).toBeDefined();
    openai.script({ text: "Second answer" });
    const second = await postChatStream(b.url, { client_id: "shared", message: "And now B", model: "up/gpt-test", session_id: sessionId });
    expect(eventsOf(second, "done")).toHaveLength(1);
    // B's upstream call carried A's turn as history.
    const lastCall = openai.requests.at(-1)?.body as { messages: { content: string }[] };
    expect(lastCall.messages.map((message) => message.content)).toEqual(
      expect.arrayContaining(["Hello from A", "First answer", "And now B"]),
    );
    const read = (await (await fetch(`${b.url}/api/chat/session/${sessionId}`)).json()) as {
      messages: { role: string; content: string }[];
    };
    expect(read.messages.map((message) => message.content)).toEqual(["Hello from A", "First answer", "And now B", "Second answer"]);

    // An upload made through A is served by B, byte for byte.
    const bytes = await solidPng(17, 9);
    const form = new FormData();
    form.append("file", new Blob([new Uint8Array(bytes)], { type: "image/png" }), "pixel.png");
    const uploaded = (await (await fetch(`${a.url}/api/uploads`, { method: "POST", body: form })).json()) as { id: string };
    const served = await fetch(`${b.url}/api/uploads/${uploaded.id}/content`);
    expect(served.status).toBe(200);
    expect(Buffer.compare(Buffer.from(await served.arrayBuffer()), bytes)).toBe(0);

    // An MCP server connected through A is listed by B, with its tools. B hears of it through
    // Redis at once: its poll (30 s) would come after this test's 20 s wait. A disable through B
    // reaches A the same way.
    const connected = await fetch(`${a.url}/api/mcp/servers/connect`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ url: mcp.url, id: "everything" }),
    });
    expect(connected.status).toBe(201);
    const listed = await eventually(async () => {
      const servers = (await (await fetch(`${b.url}/api/mcp/servers/`)).json()) as { servers?: { id: string; state: string }[] };
      const list = Array.isArray(servers) ? (servers as { id: string; state: string }[]) : (servers.servers ?? []);
      return list.find((server) => server.id === "everything" && server.state === "connected");
    }, 20_000).catch(async (error: Error) => {
      const seen = await (await fetch(`${b.url}/api/mcp/servers/`)).text();
      throw new Error(`${error.message}\nB lists: ${seen}\nA output:\n${a.process?.output()}\nB output:\n${b.process?.output()}`);
    });
    expect(listed).toBeDefined();
    const disabled = await fetch(`${b.url}/api/mcp/servers/everything`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ enabled: false }),
    });
    expect(disabled.status).toBe(200);
    const onA = await eventually(async () => {
      const servers = (await (await fetch(`${a.url}/api/mcp/servers/`)).json()) as { servers?: { id: string; enabled: boolean }[] };
      const list = Array.isArray(servers) ? (servers as { id: string; enabled: boolean }[]) : (servers.servers ?? []);
      return list.find((server) => server.id === "everything" && !server.enabled);
    }, 20_000).catch(async (error: Error) => {
      const seen = await (await fetch(`${a.url}/api/mcp/servers/`)).text();
      throw new Error(`${error.message}\nA lists: ${seen}\nA output:\n${a.process?.output()}\nB output:\n${b.process?.output()}`);
    });
    expect(onA).toBeDefined();
  }, 60_000);

  it("runs jobs submitted to A on both; after SIGKILL of A, B completes every job once and every webhook verifies", async () => {
    const sizes = Array.from({ length: jobCount }, (_, index) => 10 + index);
    const images = await Promise.all(sizes.map(async (size) => (await solidPng(size, size)).toString("base64")));
    const jobIds = await Promise.all(
      images.map(async (image) => {
        const response = await fetch(`${a.url}/caption/generate`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ image_data: image, webhook_url: receiver.url }),
        });
        expect(response.status).toBe(202);
        return ((await response.json()) as { job_id: string }).job_id;
      }),
    );
    // Kill A while some jobs are done and others are running (two on A) or waiting.
    await eventually(() => (moondream.served.get("/v1/caption") ?? 0) >= 6);
    a.process?.child.kill("SIGKILL");
    expect(await a.process?.exited).toBe("SIGKILL");
    expect(moondream.served.get("/v1/caption") ?? 0).toBeLessThan(jobCount);

    const views = await eventually(async () => {
      const all = await Promise.all(
        jobIds.map(
          async (id) => (await (await fetch(`${b.url}/caption/job/${id}`)).json()) as { status: string; result?: { caption: string } },
        ),
      );
      return all.every((view) => view.status === "completed") ? all : undefined;
    }, 90_000);
    views.forEach((view, index) => {
      expect(view.result?.caption).toBe(captionFor("normal", sizes[index]!, sizes[index]!));
    });
    const stats = (await (await fetch(`${b.url}/caption/stats`)).json()) as { completed: number; queued: number; running: number };
    expect(stats).toMatchObject({ completed: jobCount, queued: 0, running: 0 });

    await expectCompletedDeliveries(receiver, secret, jobIds, 60_000);

    // Straight from Redis: each job completed exactly once (BullMQ's event stream), and both instances ran jobs.
    const redis = new Redis(testRedisUrl);
    try {
      const entries = await redis.xrange(`${redisPrefix.prefix}:caption:events`, "-", "+");
      const completions = entries
        .map(([, fields]) => Object.fromEntries(fields.flatMap((value, index) => (index % 2 === 0 ? [[value, fields[index + 1]]] : []))))
        .filter((event) => event.event === "completed");
      expect(completions.map((event) => event.jobId).sort()).toEqual([...jobIds].sort());
      const runners = new Set<string>();
      for (const id of jobIds) {
        // BullMQ records the worker's name ("host:pid" here) in the job's "pb" field.
        const processedBy = await redis.hget(`${redisPrefix.prefix}:caption:${id}`, "pb");
        if (processedBy !== null) runners.add(processedBy);
      }
      expect(runners.size).toBe(2);
    } finally {
      redis.disconnect();
    }
  }, 180_000);
});
