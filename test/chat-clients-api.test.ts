import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UpstreamError } from "../src/errors/upstream-error.ts";
import type { ChatRequest, ImagePart } from "../src/providers/spec/index.ts";
import { createScriptedChatProvider, lastMessage, type ScriptedReply, textOf } from "./support/chat-scripted-provider.ts";
import { eventsOf, postChatStream } from "./support/chat-sse-client.ts";
import { waitUntil } from "./support/mcp-in-memory-server.ts";
import { startTestStation, type TestStation } from "./support/start-test-station.ts";

function script(request: ChatRequest): ScriptedReply {
  const text = textOf(lastMessage(request));
  // A provider's failure is a StationError (UpstreamError): its message reaches the client.
  if (text === "explode") {
    return {
      text: "part",
      error: new UpstreamError({ message: "upstream exploded", provider: "fake", statusCode: 500, isRetryable: false }),
    };
  }
  if (text === "wait") return { text: "waiting", hangAfterText: true };
  return { text: `ok: ${text}` };
}
const provider = createScriptedChatProvider("fake", script);
const dataDir = mkdtempSync(path.join(tmpdir(), "station-chat-clients-"));
const config = { defaults: { chatModel: "fake/scripted" }, uploads: { maxBytes: 4096 } };
let station: TestStation;

beforeAll(async () => {
  station = await startTestStation({ providers: [provider], config, dataDir });
});
afterAll(async () => {
  await station?.close({ keepDataDir: true });
  rmSync(dataDir, { recursive: true, force: true });
});

async function api(method: string, url: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.headers = { "content-type": "application/json" };
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  const response = await fetch(`${station.url}${url}`, init);
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function upload(bytes: Uint8Array, filename: string, declaredType = "application/octet-stream") {
  const form = new FormData();
  form.append("file", new Blob([bytes], { type: declaredType }), filename);
  const response = await fetch(`${station.url}/api/uploads`, { method: "POST", body: form });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const totalSessions = async () => Number((await api("GET", "/api/chat/sessions")).body.total);
const lastRequest = () => provider.requests.at(-1) as ChatRequest;

describe("client settings", () => {
  it("reads defaults for a new client and validates every write", async () => {
    const fresh = await api("GET", "/api/clients/carol");
    expect(fresh.status).toBe(200);
    expect(fresh.body).toMatchObject({
      client_id: "carol",
      active_preset: null,
      presets: [],
      llm: { model: null, system_prompt: "" },
      ui: { theme: "system" },
    });
    const put = await api("PUT", "/api/clients/carol/llm", { system_prompt: "Be terse.", temperature: 0.2 });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ system_prompt: "Be terse.", temperature: 0.2, model: null });
    const before = (await api("GET", "/api/clients/carol")).body;
    for (const [section, body] of [
      ["llm", { temprature: 1 }],
      ["llm", { temperature: 5 }],
      ["ui", { theme: "neon" }],
      ["llm", "[1,2]"],
      ["video", { enabled: true }],
    ] as const) {
      const bad = await api("PUT", `/api/clients/carol/${section}`, body);
      expect(bad.status, `${section} ${JSON.stringify(body)}`).toBe(400);
      expect((bad.body.error as Record<string, unknown>).code).toBe("invalid_request");
    }
    expect((await api("GET", "/api/clients/carol")).body).toEqual(before);
    expect((await api("GET", "/api/clients/bad%20id!")).status).toBe(400);
  });

  it("applies the client's LLM settings to chat turns, and resets them", async () => {
    await api("PUT", "/api/clients/carol/llm", { model: "fake/scripted", max_tokens: 64, stop: ["END"] });
    await postChatStream(station.url, { client_id: "carol", message: "hi" });
    expect(lastRequest().messages[0]).toEqual({ role: "system", content: "Be terse." });
    expect(lastRequest()).toMatchObject({ model: "scripted", temperature: 0.2, maxTokens: 64, stop: ["END"] });
    const reset = await api("POST", "/api/clients/carol/llm/reset");
    expect(reset.body).toMatchObject({ system_prompt: "", temperature: null, model: null });
    await postChatStream(station.url, { client_id: "carol", message: "hi again" });
    expect(lastRequest().messages[0]?.role).toBe("user");
    expect(lastRequest().temperature).toBeUndefined();
  });
});

describe("presets", () => {
  it("creates presets from the current state, applies them, makes one active, deletes by index", async () => {
    await api("PUT", "/api/clients/dave/llm", { system_prompt: "You are a pirate.", temperature: 1.1 });
    const pirate = await api("POST", "/api/clients/dave/presets", { name: "pirate", description: "Arr" });
    expect(pirate.status).toBe(201);
    expect(pirate.body).toMatchObject({
      index: 0,
      name: "pirate",
      description: "Arr",
      active: false,
      settings: { llm: { system_prompt: "You are a pirate." } },
    });
    expect((await api("POST", "/api/clients/dave/presets", { name: "pirate" })).status).toBe(409);
    await api("PUT", "/api/clients/dave/llm", { system_prompt: "Plain.", temperature: 0.5 });
    expect((await api("POST", "/api/clients/dave/presets", { name: "plain" })).body).toMatchObject({ index: 1 });
    const listed = (await api("GET", "/api/clients/dave/presets")).body.presets as Record<string, unknown>[];
    expect(listed.map((preset) => [preset.index, preset.name])).toEqual([
      [0, "pirate"],
      [1, "plain"],
    ]);
    expect((await api("GET", "/api/clients/dave/presets/by-name/pirate")).body).toMatchObject({ name: "pirate" });
    expect((await api("GET", "/api/clients/dave/presets/by-name/nope")).status).toBe(404);

    // A preset named in the request applies to that turn only.
    await postChatStream(station.url, { client_id: "dave", message: "ahoy", preset: "pirate" });
    expect(lastRequest().messages[0]).toEqual({ role: "system", content: "You are a pirate." });
    expect(lastRequest().temperature).toBe(1.1);
    const sessions = await totalSessions();
    const unknownPreset = await api("POST", "/api/chat/stream", { client_id: "dave", message: "x", preset: "nope" });
    expect(unknownPreset.status).toBe(404);
    expect(await totalSessions()).toBe(sessions);

    // The active preset applies to every turn until cleared.
    expect((await api("POST", "/api/clients/dave/presets/by-name/pirate/set-active")).body).toMatchObject({ active_preset: "pirate" });
    await postChatStream(station.url, { client_id: "dave", message: "hello" });
    expect(lastRequest().messages[0]).toEqual({ role: "system", content: "You are a pirate." });
    expect((await api("DELETE", "/api/clients/dave/presets/active")).body).toMatchObject({ active_preset: null });
    await postChatStream(station.url, { client_id: "dave", message: "hello" });
    expect(lastRequest().messages[0]).toEqual({ role: "system", content: "Plain." });

    // Apply copies the preset into the client's own settings.
    const applied = await api("POST", "/api/clients/dave/presets/by-name/pirate/apply");
    expect(applied.body).toMatchObject({ llm: { system_prompt: "You are a pirate.", temperature: 1.1 } });
    expect((await api("POST", "/api/clients/dave/presets/by-name/ghost/apply")).status).toBe(404);

    expect((await api("DELETE", "/api/clients/dave/presets/5")).status).toBe(404);
    expect((await api("DELETE", "/api/clients/dave/presets/abc")).status).toBe(400);
    expect((await api("DELETE", "/api/clients/dave/presets/0")).body).toMatchObject({ deleted: { name: "pirate" } });
    expect(
      ((await api("GET", "/api/clients/dave/presets")).body.presets as Record<string, unknown>[]).map((preset) => [
        preset.index,
        preset.name,
      ]),
    ).toEqual([[0, "plain"]]);
  });
});

describe("suggestions", () => {
  it("supports GET, POST, PUT and DELETE, global and per client", async () => {
    const global = await api("POST", "/api/suggestions", { content: "Summarise this page", title: "Summary" });
    expect(global.status).toBe(201);
    const own = await api("POST", "/api/suggestions", { content: "My own", client_id: "erin" });
    expect((await api("GET", "/api/suggestions")).body.suggestions).toEqual([global.body]);
    expect(((await api("GET", "/api/suggestions?client_id=erin")).body.suggestions as unknown[]).length).toBe(2);
    const updated = await api("PUT", "/api/suggestions", { id: global.body.id, content: "Summarise this" });
    expect(updated.body).toMatchObject({ id: global.body.id, content: "Summarise this", title: "Summary" });
    expect((await api("PUT", "/api/suggestions", { content: "no id" })).status).toBe(400);
    expect((await api("PUT", "/api/suggestions", { id: "missing", content: "x" })).status).toBe(404);
    expect((await api("POST", "/api/suggestions", { content: "   " })).status).toBe(400);
    expect((await api("DELETE", "/api/suggestions")).status).toBe(400);
    expect((await api("DELETE", `/api/suggestions?id=${own.body.id}`)).body).toMatchObject({ deleted: { id: own.body.id } });
    expect(((await api("GET", "/api/suggestions?client_id=erin")).body.suggestions as unknown[]).length).toBe(1);
  });
});

describe("uploads and attachments", () => {
  let png: Buffer;
  beforeAll(async () => {
    png = await sharp({ create: { width: 4, height: 4, channels: 3, background: "#ff0000" } })
      .png()
      .toBuffer();
  });

  it("stores files content-addressed and serves them with the sniffed type", async () => {
    const first = await upload(png, "photo.txt", "text/plain");
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ media_type: "image/png", size: png.length, filename: "photo.txt" });
    expect(first.body.id).toMatch(/^[a-f0-9]{64}$/);
    const again = await upload(png, "other-name.png");
    expect(again.body.id).toBe(first.body.id);
    const id = String(first.body.id);
    expect(existsSync(path.join(dataDir, "uploads", id.slice(0, 2), id))).toBe(true);
    const content = await fetch(`${station.url}/api/uploads/${id}/content`);
    expect(content.headers.get("content-type")).toBe("image/png");
    expect(content.headers.get("x-content-type-options")).toBe("nosniff");
    expect(Buffer.from(await content.arrayBuffer()).equals(png)).toBe(true);

    const html = await upload(new TextEncoder().encode("<html><script>alert(1)</script></html>"), "evil.html", "text/html");
    expect(html.body.media_type).toBe("text/plain; charset=utf-8");
  });

  it("refuses bad uploads with 4xx and stores nothing", async () => {
    const files = () => readdirSync(path.join(dataDir, "uploads"), { recursive: true }).length;
    const before = files();
    const tooLarge = await upload(new Uint8Array(5000).fill(7), "big.bin");
    expect(tooLarge.status).toBe(413);
    expect(await upload(new Uint8Array(0), "empty.txt")).toMatchObject({ status: 400 });
    expect((await api("POST", "/api/uploads", { file: "not multipart" })).status).toBe(415);
    expect(files()).toBe(before);
    expect((await api("GET", `/api/uploads/${"0".repeat(64)}/content`)).status).toBe(404);
    expect((await api("GET", "/api/uploads/not-an-id/content")).status).toBe(404);
  });

  it("sends image attachments to the model as image parts and text files as text", async () => {
    const image = await upload(png, "red.png");
    const note = await upload(new TextEncoder().encode("remember the milk"), "note.txt");
    const result = await postChatStream(station.url, {
      client_id: "frank",
      message: "look",
      attachments: [{ upload_id: image.body.id, type: "image", name: "red.png" }, { id: note.body.id }],
    });
    expect(eventsOf(result, "done")).toHaveLength(1);
    const content = lastRequest().messages.at(-1)?.content as Exclude<ChatRequest["messages"][number]["content"], string>;
    expect(content[0]).toEqual({ type: "text", text: "look" });
    const imagePart = content[1] as ImagePart;
    expect(imagePart.type).toBe("image");
    // As the image intake prepared it: an opaque PNG is re-encoded as JPEG, same size.
    expect(imagePart.mediaType).toBe("image/jpeg");
    const decoded = await sharp(imagePart.data).metadata();
    expect([decoded.format, decoded.width, decoded.height]).toEqual(["jpeg", 4, 4]);
    expect(content[2]).toEqual({ type: "text", text: "Attached file note.txt:\nremember the milk" });
    const sessionId = eventsOf(result, "session")[0]?.session_id;
    const stored = (await api("GET", `/api/chat/session/${sessionId}`)).body.messages as Record<string, unknown>[];
    expect(stored[0]?.attachments).toEqual([
      // Same bytes as the earlier upload: content-addressed, so it keeps its first name.
      { upload_id: image.body.id, media_type: "image/png", filename: "photo.txt", size: png.length },
      { upload_id: note.body.id, media_type: "text/plain; charset=utf-8", filename: "note.txt", size: 17 },
    ]);
    // A later turn in the session still shows the model the image.
    await postChatStream(station.url, { client_id: "frank", message: "and now?", session_id: sessionId });
    const history = lastRequest().messages;
    expect((history[0]!.content as { type: string }[]).map((part) => part.type)).toEqual(["text", "image", "text"]);

    const sessions = await totalSessions();
    const zip = await upload(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]), "archive.zip");
    const unsupported = await api("POST", "/api/chat/stream", { client_id: "frank", message: "x", attachments: [zip.body.id] });
    expect(unsupported).toMatchObject({ status: 400, body: { error: { code: "unsupported_attachment" } } });
    const missing = await api("POST", "/api/chat/stream", { client_id: "frank", message: "x", attachments: ["f".repeat(64)] });
    expect(missing).toMatchObject({ status: 400, body: { error: { code: "upload_not_found" } } });
    expect(await totalSessions()).toBe(sessions);
  });
});

describe("sessions", () => {
  it("refuses bad chat input with 4xx before streaming, creating nothing", async () => {
    const before = await totalSessions();
    const other = eventsOf(await postChatStream(station.url, { client_id: "gina", message: "mine" }), "session")[0]?.session_id;
    const cases: [unknown, number][] = [
      [{ message: "no client" }, 400],
      [{ client_id: "gina", message: "" }, 400],
      [{ client_id: "gina", message: "x", extra: true }, 400],
      [{ client_id: "gina", message: 42 }, 400],
      [{ client_id: "gina", message: "x", attachments: [{}] }, 400],
      [{ client_id: "gina", message: "x", attachments: "abc" }, 400],
      ["{not json", 400],
      [{ client_id: "gina", message: "x", model: "nowhere/model" }, 404],
      [{ client_id: "gina", message: "x", session_id: "missing" }, 404],
      [{ client_id: "henry", message: "x", session_id: other }, 404],
    ];
    for (const [body, status] of cases) {
      const response = await api("POST", "/api/chat/stream", body);
      expect(response.status, JSON.stringify(body)).toBe(status);
      expect(response.body.error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
    }
    expect(await totalSessions()).toBe(before + 1);
    expect((await api("GET", "/health")).status).toBe(200);
  });

  it("reports a model failure as an error event and records the failed generation", async () => {
    const result = await postChatStream(station.url, { client_id: "ivan", message: "explode" });
    expect(result.events.map((event) => event.event)).toEqual(["session", "message.delta", "error"]);
    expect(eventsOf(result, "error")[0]).toMatchObject({ message: "upstream exploded" });
    const generation = await api("GET", `/api/chat/generation/${eventsOf(result, "session")[0]?.generation_id}`);
    expect(generation.body).toMatchObject({ status: "failed", error: "upstream exploded" });
    // What the client already saw is kept, marked as partial.
    const stored = await api("GET", `/api/chat/session/${eventsOf(result, "session")[0]?.session_id}`);
    expect((stored.body.messages as Record<string, unknown>[]).map((message) => [message.role, message.content, message.metadata])).toEqual(
      [
        ["user", "explode", undefined],
        ["assistant", "part", { partial: true, finish_reason: "error" }],
      ],
    );
    expect((await api("GET", "/api/chat/generation/gen_missing")).status).toBe(404);
  });

  it("refuses a second turn in a session while one is in progress (409), then accepts it", async () => {
    const first = await postChatStream(station.url, { client_id: "mia", message: "start" });
    const sessionId = eventsOf(first, "session")[0]?.session_id;
    let concurrent: Awaited<ReturnType<typeof api>> | undefined;
    await postChatStream(
      station.url,
      { client_id: "mia", message: "wait", session_id: sessionId },
      {
        onEvent: async (event) => {
          if (event.event !== "message.delta") return false;
          concurrent = await api("POST", "/api/chat/stream", { client_id: "mia", message: "me too", session_id: sessionId });
          return true;
        },
      },
    );
    expect(concurrent).toMatchObject({ status: 409, body: { error: { code: "session_busy" } } });
    await waitUntil(
      async () => (await postChatStream(station.url, { client_id: "mia", message: "later", session_id: sessionId })).status === 200,
      "the session to be free",
    );
  });

  it("records a turn as cancelled when its reader stops between two events", async () => {
    const { orchestrator } = station.station.chat;
    const turn = await orchestrator.prepare({ client_id: "lena", message: "hello there, how are you" });
    let generationId = "";
    for await (const event of orchestrator.run(turn, new AbortController().signal)) {
      if (event.type === "session") generationId = event.data.generation_id;
      if (event.type === "message.delta") break;
    }
    expect((await api("GET", `/api/chat/generation/${generationId}`)).body).toMatchObject({ status: "cancelled" });
  });

  it("lists sessions with pagination", async () => {
    for (const message of ["one", "two", "three"]) await postChatStream(station.url, { client_id: "pager", message });
    const page = await api("GET", "/api/chat/sessions?client_id=pager&limit=2");
    expect(page.body).toMatchObject({ total: 3, limit: 2, offset: 0, has_more: true });
    expect((page.body.sessions as Record<string, unknown>[]).map((session) => session.title)).toEqual(["three", "two"]);
    const rest = await api("GET", "/api/chat/sessions?client_id=pager&limit=2&offset=2");
    expect(rest.body).toMatchObject({ total: 3, has_more: false });
    expect((rest.body.sessions as Record<string, unknown>[]).map((session) => session.title)).toEqual(["one"]);
    expect((await api("GET", "/api/chat/sessions?limit=0")).status).toBe(400);
  });

  it("deletes one message and leaves the others; deletes whole sessions", async () => {
    const first = await postChatStream(station.url, { client_id: "judy", message: "first" });
    const sessionId = String(eventsOf(first, "session")[0]?.session_id);
    await postChatStream(station.url, { client_id: "judy", message: "second", session_id: sessionId });
    const messages = (await api("GET", `/api/chat/session/${sessionId}`)).body.messages as Record<string, unknown>[];
    expect(messages.map((message) => message.content)).toEqual(["first", "ok: first", "second", "ok: second"]);
    const target = messages[1]?.id;
    expect((await api("DELETE", `/api/chat/session/${sessionId}/messages/${target}`)).body).toMatchObject({ deleted: true });
    const after = (await api("GET", `/api/chat/session/${sessionId}`)).body.messages as Record<string, unknown>[];
    expect(after).toEqual([messages[0], messages[2], messages[3]]);
    expect((await api("DELETE", `/api/chat/session/${sessionId}/messages/${target}`)).status).toBe(404);
    expect((await api("DELETE", `/api/chat/session/missing/messages/${messages[0]?.id}`)).status).toBe(404);

    expect((await api("DELETE", `/api/chat/session/${sessionId}`)).body).toMatchObject({ id: sessionId, deleted: true });
    expect((await api("GET", `/api/chat/session/${sessionId}`)).status).toBe(404);
    expect((await api("DELETE", `/api/chat/session/${sessionId}`)).status).toBe(404);
  });

  it("survives a restart: sessions, messages, settings and presets", async () => {
    const result = await postChatStream(station.url, { client_id: "kate", message: "remember me" });
    const sessionId = eventsOf(result, "session")[0]?.session_id;
    await api("PUT", "/api/clients/kate/ui", { theme: "dark" });
    await api("POST", "/api/clients/kate/presets", { name: "saved" });
    const before = (await api("GET", `/api/chat/session/${sessionId}`)).body;
    await station.close({ keepDataDir: true });
    station = await startTestStation({ providers: [provider], config, dataDir });
    expect((await api("GET", `/api/chat/session/${sessionId}`)).body).toEqual(before);
    expect((await api("GET", "/api/clients/kate")).body).toMatchObject({ ui: { theme: "dark" }, presets: ["saved"] });
    const next = await postChatStream(station.url, { client_id: "kate", message: "still there?", session_id: sessionId });
    expect(eventsOf(next, "done")[0]).toMatchObject({ content: "ok: still there?" });
    expect(lastRequest().messages.map(textOf)).toEqual(["remember me", "ok: remember me", "still there?"]);
  });
});

describe("API reference", () => {
  it("documents the chat application routes in /openapi.json", async () => {
    const response = await fetch(`${station.url}/openapi.json`);
    expect(response.status).toBe(200);
    const document = (await response.json()) as { paths: Record<string, unknown> };
    for (const route of [
      "/api/chat/stream",
      "/api/chat/sessions",
      "/api/chat/session/{id}",
      "/api/chat/session/{id}/messages/{msg_id}",
      "/api/chat/generation/{id}",
      "/api/clients/{client_id}/{section}",
      "/api/clients/{client_id}/presets/by-name/{name}/set-active",
      "/api/mcp/servers/",
      "/api/mcp/servers/connect",
      "/api/mcp/preferences/{client_id}",
      "/api/uploads",
      "/api/suggestions",
    ]) {
      expect(document.paths, route).toHaveProperty([route]);
    }
  });
});
