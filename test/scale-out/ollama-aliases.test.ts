import { Ollama } from "ollama";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAiUpstream, startFakeOpenAiUpstream } from "../support/fake-openai-upstream.ts";
import { createPostgresTestDatabase, type PostgresTestDatabase } from "../support/postgres-test-database.ts";
import { testRedisUrl, uniqueRedisPrefix } from "../support/redis-test-prefix.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";

/**
 * Two Station instances on one PostgreSQL database: an `/api/copy` alias made on one is served by
 * chat, generate and embed on the other at once (an unknown name reads the stored aliases again),
 * and one deleted or moved on one is gone or moved on the other at once (an alias is read again
 * before it is used).
 */
describe("Ollama copy aliases across instances", () => {
  let database: PostgresTestDatabase;
  let redisPrefix: ReturnType<typeof uniqueRedisPrefix>;
  let upstream: FakeOpenAiUpstream;
  let a: TestStation;
  let b: TestStation;

  beforeAll(async () => {
    database = await createPostgresTestDatabase();
    redisPrefix = uniqueRedisPrefix();
    upstream = await startFakeOpenAiUpstream({ models: ["gpt-test", "gpt-other", "text-embedding-test"] });
    const config = {
      storage: { backend: "postgres", url: database.url, poolSize: 2 },
      // Shared backends want a shared queue and one webhook secret.
      queue: { backend: "bullmq", redisUrl: testRedisUrl, prefix: redisPrefix.prefix },
      webhooks: { secret: `whsec_${Buffer.from("ollama-aliases-test-secret-32byte").toString("base64")}` },
      providers: [{ id: "fake", type: "openai", baseUrl: upstream.url }],
    };
    a = await startTestStation({ config });
    b = await startTestStation({ config });
    // B has loaded its aliases (none) before A makes one.
    await new Ollama({ host: b.url }).list();
  });

  afterAll(async () => {
    await a?.close();
    await b?.close();
    await upstream?.close();
    await database?.drop();
    await redisPrefix?.clean();
  });

  it("serves an alias made on the other instance without a reload", async () => {
    await new Ollama({ host: a.url }).copy({ source: "fake/gpt-test", destination: "helper:latest" });
    const client = new Ollama({ host: b.url });
    upstream.script({ text: "Through the alias." });
    const chat = await client.chat({ model: "helper", messages: [{ role: "user", content: "Hi" }] });
    expect(chat.message.content).toBe("Through the alias.");
    expect(upstream.requests.filter((request) => request.path === "/v1/chat/completions").at(-1)?.body).toMatchObject({
      model: "gpt-test",
    });

    await new Ollama({ host: a.url }).copy({ source: "fake/gpt-test", destination: "writer:latest" });
    const generated = await client.generate({ model: "writer", prompt: "Hi" });
    expect(generated.response).toBe("Through the alias.");

    await new Ollama({ host: a.url }).copy({ source: "fake/text-embedding-test", destination: "embedder:latest" });
    const embedded = await client.embed({ model: "embedder", input: "Hi" });
    expect(embedded.embeddings).toHaveLength(1);

    const unknown = await client.chat({ model: "nobody", messages: [{ role: "user", content: "Hi" }] }).catch((error: unknown) => error);
    expect(unknown).toMatchObject({ status_code: 404 });
  });

  it("stops serving an alias deleted on the other instance, and follows one moved there", async () => {
    const onA = new Ollama({ host: a.url });
    const onB = new Ollama({ host: b.url });
    await onA.copy({ source: "fake/gpt-test", destination: "mover:latest" });
    await onA.copy({ source: "fake/gpt-test", destination: "goner:latest" });
    upstream.script({ text: "Still here." });
    // B uses both, so it holds them in memory.
    expect((await onB.chat({ model: "mover", messages: [{ role: "user", content: "Hi" }] })).message.content).toBe("Still here.");
    expect((await onB.chat({ model: "goner", messages: [{ role: "user", content: "Hi" }] })).message.content).toBe("Still here.");

    // Deleted on A by its untagged name (as `ollama rm goner` sends it).
    await onA.delete({ model: "goner" });
    const chat = await onB.chat({ model: "goner", messages: [{ role: "user", content: "Hi" }] }).catch((error: unknown) => error);
    expect(chat).toMatchObject({ status_code: 404 });
    const generate = await onB.generate({ model: "goner:latest", prompt: "Hi" }).catch((error: unknown) => error);
    expect(generate).toMatchObject({ status_code: 404 });
    const show = await onB.show({ model: "goner" }).catch((error: unknown) => error);
    expect(show).toMatchObject({ status_code: 404 });
    expect((await onB.list()).models.map((model) => model.name)).not.toContain("goner:latest");
    // Deleting it again, on B, which still held it: gone for Ollama's client too.
    const again = await onB.delete({ model: "goner" }).catch((error: unknown) => error);
    expect(again).toMatchObject({ status_code: 404 });

    // Moved on A to another model: B follows at once.
    await onA.copy({ source: "fake/gpt-other", destination: "mover:latest" });
    await onB.chat({ model: "mover", messages: [{ role: "user", content: "Hi" }] });
    expect(upstream.requests.filter((request) => request.path === "/v1/chat/completions").at(-1)?.body).toMatchObject({
      model: "gpt-other",
    });
    expect((await onB.show({ model: "mover" })).model_info).toBeDefined();
  });
});
