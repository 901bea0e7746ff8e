import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createConversationStore } from "../../src/chat/conversation-store.ts";
import { createClientStore } from "../../src/clients/client-store.ts";
import { createMcpServerStore } from "../../src/mcp/mcp-server-store.ts";
import { createToolPreferencesStore } from "../../src/mcp/tool-preferences-store.ts";
import { ModelAliasStore } from "../../src/protocols/ollama/model-alias-store.ts";
import { ResponseStore } from "../../src/protocols/responses/response-store.ts";
import type { Database } from "../../src/storage/database.ts";
import { createSuggestionStore } from "../../src/suggestions/suggestion-store.ts";
import type { BlobStore } from "../../src/uploads/blob-store.ts";
import { createDatabaseBlobStore } from "../../src/uploads/create-database-blob-store.ts";
import { createFileBlobStore } from "../../src/uploads/create-file-blob-store.ts";
import { createUploadStore } from "../../src/uploads/upload-store.ts";
import { type OpenedTestDatabase, testDialects } from "../support/test-databases.ts";

/** Every store, on SQLite and on PostgreSQL: the same calls give the same answers. */
describe.each(testDialects)("stores on $dialect", ({ dialect, open }) => {
  let opened: OpenedTestDatabase;
  let database: Database;
  let tick = 1_700_000_000_000;
  const clock = () => ++tick;

  beforeAll(async () => {
    opened = await open();
    database = opened.database;
  });
  afterAll(async () => {
    await opened?.close();
  });

  it("runs on the dialect it says", () => {
    expect(database.dialect).toBe(dialect);
  });

  it("conversations: sessions, ordered messages, generations with costs, cascading delete", async () => {
    const store = createConversationStore(database.kysely, clock);
    const session = await store.createSession({ clientId: "c1", title: "hello", model: "m/x" });
    await store.createSession({ clientId: "c2", title: null, model: null });
    const first = await store.appendMessage(session.id, { role: "user", content: "one", attachments: [] });
    await store.appendMessage(session.id, {
      role: "assistant",
      content: "",
      tool_calls: [{ id: "t1", name: "srv__tool", arguments: '{"a":1}' }],
      metadata: { n: 1 },
    });
    await store.appendMessage(session.id, { role: "tool", content: "result", tool_call_id: "t1", name: "srv__tool" });
    const messages = await store.listMessages(session.id);
    expect(messages.map((message) => message.content)).toEqual(["one", "", "result"]);
    expect(messages[1]).toMatchObject({ tool_calls: [{ id: "t1", name: "srv__tool" }], metadata: { n: 1 } });
    expect(typeof messages[0]?.created_at).toBe("number");
    expect(messages[0]?.created_at).toBeGreaterThan(1_700_000_000_000);

    const listed = await store.listSessions({ clientId: "c1", limit: 10, offset: 0 });
    expect(listed.total).toBe(1);
    expect(listed.sessions[0]).toMatchObject({ id: session.id, title: "hello" });
    expect((await store.getSession(session.id))?.updated_at).toBeGreaterThan(session.created_at);
    expect((await store.listSessions({ limit: 1, offset: 0 })).total).toBe(2);

    await store.deleteMessage(session.id, first.id);
    await expect(store.deleteMessage(session.id, first.id)).rejects.toMatchObject({ code: "message_not_found" });
    expect(await store.listMessages(session.id)).toHaveLength(2);

    const generation = await store.createGeneration({ sessionId: session.id, clientId: "c1", model: "m/x" });
    await store.finishGeneration(generation, {
      status: "completed",
      finishReason: "stop",
      usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
      cost: { total_usd: 0.000123456789, source: "pricing" },
      rounds: 2,
      toolCalls: 1,
      error: null,
    });
    expect(await store.getGeneration(generation)).toMatchObject({
      status: "completed",
      usage: { total_tokens: 15 },
      cost: { total_usd: 0.000123456789 },
      rounds: 2,
    });

    await store.deleteSession(session.id);
    expect(await store.getSession(session.id)).toBeUndefined();
    expect(await store.listMessages(session.id)).toEqual([]);
  });

  it("clients: sections, presets, the active preset and deletion by index", async () => {
    const store = createClientStore(database.kysely, clock);
    expect((await store.get("fresh")).presets).toEqual([]);
    const llm = await store.putSection("alice", "llm", { temperature: 0.25 });
    expect(llm).toMatchObject({ temperature: 0.25 });
    await expect(store.putSection("alice", "llm", { temperature: "hot" })).rejects.toMatchObject({ status: 400 });
    await store.createPreset("alice", "cool", "low temperature");
    await store.putSection("alice", "llm", { temperature: 0.9 });
    await store.createPreset("alice", "warm");
    await expect(store.createPreset("alice", "warm")).rejects.toMatchObject({ status: 409 });
    expect((await store.listPresets("alice")).map((preset) => preset.name)).toEqual(["cool", "warm"]);
    await store.setActivePreset("alice", "cool");
    expect(await store.effectiveLlm("alice")).toMatchObject({ temperature: 0.25 });
    expect((await store.applyPreset("alice", "cool")).llm).toMatchObject({ temperature: 0.25 });
    expect((await store.deletePresetAt("alice", 0)).name).toBe("cool");
    expect(await store.get("alice")).toMatchObject({ active_preset: null, presets: ["warm"] });
  });

  it("suggestions: global and per client, oldest first", async () => {
    const store = createSuggestionStore(database.kysely, clock);
    const global = await store.create({ content: "Summarise", title: "Sum" });
    const own = await store.create({ content: "Mine", client_id: "bob" });
    expect((await store.list()).map((item) => item.id)).toEqual([global.id]);
    expect((await store.list("bob")).map((item) => item.id)).toEqual([global.id, own.id]);
    expect(await store.update(own.id, { title: "Titled" })).toMatchObject({ title: "Titled", content: "Mine" });
    await store.delete(global.id);
    await expect(store.delete(global.id)).rejects.toMatchObject({ code: "suggestion_not_found" });
  });

  it("MCP servers and tool preferences", async () => {
    const servers = createMcpServerStore(database.kysely, clock);
    await servers.addServer({ id: "remote", source: "api", url: "https://mcp.example/mcp", headers: { "x-key": "v" } });
    await servers.setEnabled("files", "config", false);
    await servers.setEnabled("remote", "api", false);
    expect(await servers.list()).toEqual([
      { id: "remote", source: "api", url: "https://mcp.example/mcp", headers: { "x-key": "v" }, enabled: false },
      { id: "files", source: "config", url: null, headers: undefined, enabled: false },
    ]);
    const preferences = createToolPreferencesStore(database.kysely, clock);
    const defaults = await preferences.get("carol");
    const changed = { ...defaults, disabled_tools: ["remote__search"] };
    await preferences.put("carol", changed);
    await preferences.put("carol", changed);
    expect(await preferences.get("carol")).toEqual(changed);
  });

  it("stored responses: save, chain history, delete", async () => {
    const store = new ResponseStore(database.kysely);
    const item = (text: string) => ({ type: "message", role: "user", content: [{ type: "input_text", text }] });
    await store.save({
      id: "resp_1",
      previousResponseId: null,
      inputItems: [item("a")] as never,
      response: { output: [item("b")] } as never,
    });
    await store.save({ id: "resp_2", previousResponseId: "resp_1", inputItems: [item("c")] as never, response: { output: [] } as never });
    expect((await store.history("resp_2")).length).toBe(3);
    expect(await store.delete("resp_2")).toBe(true);
    expect(await store.get("resp_2")).toBeUndefined();
  });

  it("stored responses saved together: one batch, each readable once its save resolves, a repeated id keeps its first inputs", async () => {
    const store = new ResponseStore(database.kysely);
    const item = (text: string) => ({ type: "message", role: "user", content: [{ type: "input_text", text }] });
    const save = (id: string, input: string, output: string, previousResponseId: string | null = null) =>
      store.save({ id, previousResponseId, inputItems: [item(input)] as never, response: { output: [item(output)] } as never });
    await Promise.all([save("batch_1", "a", "b"), save("batch_2", "c", "d", "batch_1"), save("batch_1", "x", "e", "batch_2")]);
    expect(await store.get("batch_1")).toEqual({
      id: "batch_1",
      previousResponseId: null,
      inputItems: [item("a")],
      response: { output: [item("e")] },
    });
    expect((await store.history("batch_2")).map((entry) => (entry as unknown as { content: { text: string }[] }).content[0]?.text)).toEqual(
      ["a", "e", "c", "d"],
    );
    await save("batch_2", "y", "f");
    expect((await store.get("batch_2"))?.response).toEqual({ output: [item("f")] });
    expect((await store.get("batch_2"))?.previousResponseId).toBe("batch_1");
  });

  it("model aliases: put, replace, list in order, delete", async () => {
    const store = new ModelAliasStore(database.kysely);
    await store.put("mine:latest", "local/tiny");
    await store.put("other", "fake/gpt-test");
    await store.put("mine:latest", "local/small");
    expect(await store.all()).toEqual([
      ["mine:latest", "local/small"],
      ["other", "fake/gpt-test"],
    ]);
    expect(await store.delete("other")).toBe(true);
    expect(await store.delete("other")).toBe(false);
    expect(await store.all()).toEqual([["mine:latest", "local/small"]]);
  });

  describe.each([{ blobs: "the database" as const }, { blobs: "files" as const }])("uploads with bytes in $blobs", ({ blobs: kind }) => {
    let directory: string;
    let blobs: BlobStore;
    beforeAll(() => {
      directory = mkdtempSync(path.join(tmpdir(), "station-blobs-"));
      blobs = kind === "files" ? createFileBlobStore(directory) : createDatabaseBlobStore(database.kysely);
    });
    afterAll(() => rmSync(directory, { recursive: true, force: true }));

    it("stores content-addressed bytes once and reads them back exactly", async () => {
      const store = createUploadStore({ database: database.kysely, blobs, clock });
      const bytes = new Uint8Array(70_000).map((_, index) => (index * 7 + kind.length) % 256);
      const saved = await store.save(bytes, "../../etc/data.bin");
      expect(saved).toMatchObject({ size: 70_000, filename: "data.bin" });
      expect(await store.save(bytes, "again.bin")).toEqual(saved);
      const read = await store.read(saved.id);
      expect(Buffer.compare(read.bytes, Buffer.from(bytes))).toBe(0);
      await expect(store.get("f".repeat(64))).rejects.toMatchObject({ code: "upload_not_found" });
      await expect(store.save(new Uint8Array(0))).rejects.toMatchObject({ status: 400 });
    });
  });
});

describe("migrations on PostgreSQL", () => {
  it("run once when several instances start together (Kysely's advisory lock), with BIGINT epoch ms", async () => {
    const { createPostgresTestDatabase } = await import("../support/postgres-test-database.ts");
    const { openPostgresDatabase } = await import("../../src/storage/open-postgres-database.ts");
    const { migrate } = await import("../../src/storage/migrate.ts");
    const created = await createPostgresTestDatabase();
    const instances = await Promise.all(Array.from({ length: 4 }, () => openPostgresDatabase({ url: created.url, poolSize: 2 })));
    try {
      const applied = await Promise.all(instances.map((instance) => migrate(instance)));
      const all = applied.flat();
      // Every migration ran exactly once across the four instances.
      expect(all.length).toBe(new Set(all).size);
      expect(all.sort()).toEqual(applied.find((names) => names.length > 0)?.sort());
      const { sql } = await import("kysely");
      const types = await sql<{ column_name: string; data_type: string }>`
        select column_name, data_type from information_schema.columns where table_name = 'chat_messages'`.execute(instances[0]!.kysely);
      expect(types.rows).toContainEqual({ column_name: "created_at", data_type: "bigint" });
    } finally {
      await Promise.all(instances.map((instance) => instance.close()));
      await created.drop();
    }
  });
});
