import { existsSync, readdirSync } from "node:fs";
import { request as httpRequest } from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { realtimeUrl } from "./realtime/realtime-client.ts";
import { createScriptedChatProvider } from "./support/chat-scripted-provider.ts";
import { startTestStation, type TestStation } from "./support/start-test-station.ts";

interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A real HTTP request with exactly these headers (Host and Origin included: fetch would not allow them). */
function send(
  station: TestStation,
  method: string,
  pathname: string,
  headers: Record<string, string>,
  body?: string | Buffer,
): Promise<RawReply> {
  const url = new URL(station.url);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: url.hostname, port: url.port, method, path: pathname, headers, setHost: false }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on("data", (chunk: Buffer) => chunks.push(chunk));
      incoming.on("end", () =>
        resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks).toString("utf8") }),
      );
    });
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

function multipartUpload(): { body: Buffer; contentType: string } {
  const boundary = "----station-test-boundary";
  const body = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="note.txt"\r\nContent-Type: text/plain\r\n\r\nhello from another site\r\n--${boundary}--\r\n`,
  );
  return { body, contentType: `multipart/form-data; boundary=${boundary}` };
}

function uploadedFiles(station: TestStation): string[] {
  const directory = path.join(station.dataDir, "uploads");
  return existsSync(directory) ? readdirSync(directory, { recursive: true }).map(String) : [];
}

describe("on a loopback bind without API keys (the default)", () => {
  let station: TestStation;
  let host: string;
  beforeAll(async () => {
    station = await startTestStation({
      providers: [createScriptedChatProvider("fake", () => ({ text: "Hi there" }))],
      config: { defaults: { chatModel: "fake/scripted" } },
    });
    host = new URL(station.url).host;
  });
  afterAll(async () => {
    await station?.close();
  });

  it("serves loopback Host names only: a DNS-rebinding page's own name gets 403", async () => {
    const port = new URL(station.url).port;
    for (const name of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, `app.localhost:${port}`, "localhost", "LOCALHOST."]) {
      const reply = await send(station, "GET", "/api/chat/sessions", { host: name });
      expect({ name, status: reply.status }).toEqual({ name, status: 200 });
    }
    for (const name of [
      `attacker.example:${port}`,
      `127.0.0.1.attacker.example:${port}`,
      `localhost.attacker.example`,
      `10.0.0.5:${port}`,
    ]) {
      const reply = await send(station, "GET", "/api/chat/sessions", { host: name });
      expect({ name, status: reply.status }).toEqual({ name, status: 403 });
      expect(JSON.parse(reply.body)).toMatchObject({ error: { code: "host_not_allowed" } });
    }
    const openAi = await send(station, "GET", "/v1/models", { host: "attacker.example" });
    expect(JSON.parse(openAi.body)).toMatchObject({ error: { code: "host_not_allowed", type: "permission_error" } });
  });

  it("refuses a cross-site multipart POST to /api/uploads, and stores nothing", async () => {
    const { body, contentType } = multipartUpload();
    const reply = await send(
      station,
      "POST",
      "/api/uploads",
      { host, origin: "https://attacker.example", "content-type": contentType },
      body,
    );
    expect(reply.status).toBe(403);
    expect(JSON.parse(reply.body)).toMatchObject({ error: { code: "origin_not_allowed" } });
    expect(reply.headers["access-control-allow-origin"]).toBeUndefined();
    expect(uploadedFiles(station)).toEqual([]);
  });

  it("refuses cross-origin reads and preflights alike", async () => {
    const read = await send(station, "GET", "/api/chat/sessions", { host, origin: "http://attacker.example" });
    expect(read.status).toBe(403);
    const preflight = await send(station, "OPTIONS", "/v1/chat/completions", {
      host,
      origin: "http://attacker.example",
      "access-control-request-method": "POST",
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers["access-control-allow-origin"]).toBeUndefined();
    // A sandboxed frame or a file: page sends Origin "null".
    expect((await send(station, "GET", "/api/chat/sessions", { host, origin: "null" })).status).toBe(403);
  });

  it("serves the web UI's own origin, and clients that send no Origin", async () => {
    const { body, contentType } = multipartUpload();
    const sameOrigin = await send(station, "POST", "/api/uploads", { host, origin: `http://${host}`, "content-type": contentType }, body);
    expect(sameOrigin.status).toBe(201);
    const noOrigin = await send(station, "GET", "/api/chat/sessions", { host });
    expect(noOrigin.status).toBe(200);
  });

  it("refuses a WebSocket from another site (cross-site WebSocket hijacking)", async () => {
    const socket = new WebSocket(realtimeUrl(station.url), ["station.realtime.v1"], { origin: "https://attacker.example" });
    const status = await new Promise<number>((resolve, reject) => {
      socket.once("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0));
      socket.once("open", () => reject(new Error("the WebSocket opened")));
      socket.once("error", reject);
    });
    expect(status).toBe(403);
    socket.terminate();
  });
});

describe("with allow-lists configured", () => {
  let station: TestStation;
  let host: string;
  beforeAll(async () => {
    station = await startTestStation({
      providers: [createScriptedChatProvider("fake", () => ({ text: "Hi there" }))],
      config: {
        server: { allowedHosts: ["station.lan", ".home.example"], cors: { origins: ["https://app.example", "http://localhost:*"] } },
        defaults: { chatModel: "fake/scripted" },
      },
    });
    host = new URL(station.url).host;
  });
  afterAll(async () => {
    await station?.close();
  });

  it("serves the extra Host names and domains", async () => {
    for (const name of ["station.lan:2020", "box.home.example", "home.example"]) {
      expect((await send(station, "GET", "/api/chat/sessions", { host: name })).status).toBe(200);
    }
    expect((await send(station, "GET", "/api/chat/sessions", { host: "other.example" })).status).toBe(403);
  });

  it("answers an allowed origin's preflight, then its request, with CORS headers", async () => {
    const preflight = await send(station, "OPTIONS", "/v1/chat/completions", {
      host,
      origin: "https://app.example",
      "access-control-request-method": "POST",
      "access-control-request-headers": "authorization, content-type",
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers).toMatchObject({
      "access-control-allow-origin": "https://app.example",
      "access-control-allow-headers": "authorization, content-type",
      "access-control-max-age": "600",
    });
    expect(preflight.headers["access-control-allow-methods"]).toContain("POST");
    expect(preflight.headers.vary).toContain("Origin");

    const models = await send(station, "GET", "/v1/models", { host, origin: "http://localhost:5173" });
    expect(models.status).toBe(200);
    expect(models.headers["access-control-allow-origin"]).toBe("http://localhost:5173");
    expect(models.headers["access-control-expose-headers"]).toContain("x-request-id");
  });

  it("puts the CORS headers on streamed replies too", async () => {
    const reply = await send(
      station,
      "POST",
      "/api/chat/stream",
      { host, origin: "https://app.example", "content-type": "application/json" },
      JSON.stringify({ client_id: "cors", message: "hello" }),
    );
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toContain("text/event-stream");
    expect(reply.headers["access-control-allow-origin"]).toBe("https://app.example");
    expect(reply.body).toContain("Hi there");
  });

  it("still refuses origins that are not listed", async () => {
    expect((await send(station, "GET", "/v1/models", { host, origin: "https://app.example.attacker.example" })).status).toBe(403);
  });
});
