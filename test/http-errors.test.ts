import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config/load-config.ts";
import { StationError } from "../src/errors/station-error.ts";
import { createApp } from "../src/http/app.ts";
import { createLogger } from "../src/logging/create-logger.ts";
import { createStation } from "../src/station/create-station.ts";
import type { Station } from "../src/station/station.ts";

let station: Station;
let app: FastifyInstance;

beforeAll(async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "station-errors-"));
  const config = parseConfig({ dataDir, providers: [], server: { bodyLimitBytes: 1024 }, logLevel: "silent" });
  station = await createStation(config, { logger: createLogger("silent") });
  app = await createApp(station);
  // Probe routes on both surfaces, added before the app is ready.
  for (const prefix of ["/v1/probe", "/api/probe"]) {
    app.post(prefix, async (request) => ({ received: request.body }));
    app.get(`${prefix}/fail`, async () => {
      throw new StationError({ code: "model_not_found", status: 404, message: "no such model", param: "model" });
    });
    app.get(`${prefix}/crash`, async () => {
      throw new Error("secret-token-123 exploded at /internal/path");
    });
  }
});

afterAll(async () => {
  await app.close();
  await station.close();
});

describe("error shapes", () => {
  it("uses OpenAI's shape under /v1", async () => {
    const response = await app.inject({ method: "GET", url: "/v1/probe/fail" });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({
      error: { message: "no such model", type: "not_found_error", code: "model_not_found", param: "model" },
    });
  });

  it("uses Station's shape elsewhere", async () => {
    const response = await app.inject({ method: "GET", url: "/api/probe/fail" });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: "model_not_found", message: "no such model", param: "model" } });
  });

  it("hides unexpected errors: no message, no stack", async () => {
    for (const url of ["/v1/probe/crash", "/api/probe/crash"]) {
      const response = await app.inject({ method: "GET", url });
      expect(response.statusCode).toBe(500);
      expect(response.body).not.toContain("secret-token-123");
      expect(response.body).not.toContain("/internal/path");
      expect(response.body).not.toContain("    at ");
      expect(response.json().error.code).toBe("internal_error");
    }
  });

  it("answers an unknown route with JSON 404 on both surfaces", async () => {
    const openai = await app.inject({ method: "GET", url: "/v1/does-not-exist" });
    expect(openai.statusCode).toBe(404);
    expect(openai.json().error).toMatchObject({ type: "not_found_error", code: "route_not_found" });
    const station = await app.inject({ method: "DELETE", url: "/nothing/here?x=1" });
    expect(station.statusCode).toBe(404);
    expect(station.headers["content-type"]).toMatch(/application\/json/);
    expect(station.json()).toEqual({ error: { code: "route_not_found", message: "Route 'DELETE /nothing/here' was not found" } });
  });

  it("answers malformed JSON with 400", async () => {
    for (const url of ["/v1/probe", "/api/probe"]) {
      const response = await app.inject({ method: "POST", url, headers: { "content-type": "application/json" }, payload: '{"model": ' });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.code).toBe("invalid_json");
    }
  });

  it("names an unknown, missing or mistyped field in `param`", async () => {
    const unknown = await app.inject({ method: "POST", url: "/v1/system/models/unload", payload: { model: "local/x", kepp_alive: 0 } });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toMatchObject({ type: "invalid_request_error", param: "kepp_alive" });
    const mistyped = await app.inject({ method: "POST", url: "/v1/system/models/unload", payload: { model: 7 } });
    expect(mistyped.statusCode).toBe(400);
    expect(mistyped.json().error).toMatchObject({ param: "model" });
    const chat = await app.inject({ method: "POST", url: "/v1/chat/completions", payload: { model: "m", messages: [{ role: 5 }] } });
    expect(chat.statusCode).toBe(400);
    expect(chat.json().error.param).toMatch(/^messages\.0/);
    const missing = await app.inject({ method: "POST", url: "/v1/chat/completions", payload: { model: "m" } });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error).toMatchObject({ param: "messages" });
  });

  it("answers an oversized body with 413", async () => {
    const payload = JSON.stringify({ text: "x".repeat(4096) });
    const openai = await app.inject({ method: "POST", url: "/v1/probe", headers: { "content-type": "application/json" }, payload });
    expect(openai.statusCode).toBe(413);
    expect(openai.json().error).toMatchObject({ code: "payload_too_large", type: "invalid_request_error" });
    const other = await app.inject({ method: "POST", url: "/api/probe", headers: { "content-type": "application/json" }, payload });
    expect(other.statusCode).toBe(413);
    expect(other.json().error.code).toBe("payload_too_large");
  });

  it("still serves after bad input, and tags responses with a request id", async () => {
    const response = await app.inject({ method: "POST", url: "/api/probe", payload: { ok: true } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ received: { ok: true } });
    expect(response.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("serves /health, /openapi.json and /docs", async () => {
    const health = await app.inject({ method: "GET", url: "/health" });
    expect(health.json()).toMatchObject({ status: "ok", version: station.version });
    const openapi = await app.inject({ method: "GET", url: "/openapi.json" });
    expect(openapi.json()).toMatchObject({ openapi: expect.stringMatching(/^3\./), paths: { "/health": expect.any(Object) } });
    const paths = openapi.json().paths as Record<string, Record<string, { requestBody?: unknown }>>;
    for (const path of ["/v1/chat/completions", "/v1/embeddings", "/v1/caption", "/caption/generate", "/api/chat/stream"]) {
      expect(paths[path]?.post?.requestBody, path).toBeDefined();
    }
    const docs = await app.inject({ method: "GET", url: "/docs/" });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain("swagger");
  });
});

describe("diagnostics", () => {
  it("GET /diagnostics/scan runs the doctor checks", async () => {
    const response = await app.inject({ method: "GET", url: "/diagnostics/scan" });
    expect(response.statusCode).toBe(200);
    const report = response.json() as { status: string; checks: { name: string; status: string }[] };
    expect(report.checks.map((check) => check.name)).toEqual(expect.arrayContaining(["node", "data dir"]));
    expect(report.checks.find((check) => check.name === "data dir")?.status).toBe("ok");
  });
});
