import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { docsContentSecurityPolicy } from "../src/http/docs/register-docs.ts";
import { startTestStation, type TestStation } from "./support/start-test-station.ts";

const key = "docs-key-1234567890";

/**
 * /docs with API keys: the page and its assets load without a key (like the web UI's shell),
 * the document and every API still need one. The document is built on its first request
 * (nothing of swagger runs at start-up), so these also check that lazy path after start.
 */
describe("API reference with API keys", () => {
  let station: TestStation;
  beforeAll(async () => {
    station = await startTestStation({ config: { server: { apiKeys: [key] } } });
  });
  afterAll(async () => station?.close());

  const get = (path: string, withKey = false) =>
    fetch(`${station.url}${path}`, withKey ? { headers: { authorization: `Bearer ${key}` } } : {});

  it("serves the page at /docs and /docs/ without a key, under its own CSP", async () => {
    for (const path of ["/docs", "/docs/"]) {
      const response = await get(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type")).toMatch(/^text\/html/);
      expect(response.headers.get("content-security-policy")).toBe(docsContentSecurityPolicy);
      const html = await response.text();
      expect(html).toContain('<div id="swagger-ui">');
      // Nothing inline runs: every script is a file of this origin.
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    }
    expect(docsContentSecurityPolicy).toContain("script-src 'self'");
    expect(docsContentSecurityPolicy).not.toContain("unsafe-eval");
  });

  it("serves every script and style the page names, and the web UI module its script imports, without a key", async () => {
    const html = await (await get("/docs")).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets).toEqual(expect.arrayContaining(["/docs/static/swagger-ui-bundle.js", "/docs/static/docs.js"]));
    for (const asset of assets) {
      const response = await get(asset);
      expect(response.status, asset).toBe(200);
      expect(response.headers.get("content-type"), asset).toMatch(
        asset.endsWith(".js") ? /javascript/ : asset.endsWith(".css") ? /^text\/css/ : /^image\//,
      );
      expect((await response.arrayBuffer()).byteLength, asset).toBeGreaterThan(0);
    }
    const script = await (await get("/docs/static/docs.js")).text();
    const imported = [...script.matchAll(/from\s+"([^"]+)"/g)].map((match) => match[1]!);
    expect(imported).toEqual(["/ui/js/api.js"]);
    expect((await get("/ui/js/api.js")).status).toBe(200);
  });

  it("answers the JSON 404 for a file it does not list", async () => {
    for (const path of ["/docs/static/nothing.js", "/docs/static/index.html", "/docs/static/..%2F..%2Fpackage.json"]) {
      const response = await get(path);
      expect(response.status, path).toBe(404);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("route_not_found");
    }
  });

  it("keeps the document and the APIs behind the key", async () => {
    for (const path of ["/openapi.json", "/docs/json", "/docs/yaml", "/v1/models", "/api/models"]) {
      const response = await get(path);
      expect(response.status, path).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("invalid_api_key");
    }
  });

  it("builds the document on first request, with the key: every surface, the same on every request", async () => {
    const first = await get("/openapi.json", true);
    expect(first.status).toBe(200);
    const document = (await first.json()) as { openapi: string; info: { version: string }; paths: Record<string, unknown> };
    expect(document.openapi).toMatch(/^3\./);
    expect(document.info.version).toBe(station.station.version);
    for (const path of ["/health", "/v1/chat/completions", "/v1/caption", "/caption/generate", "/api/chat/stream", "/api/tags"]) {
      expect(document.paths[path], path).toBeDefined();
    }
    // Hidden routes stay out of it.
    for (const path of ["/docs", "/openapi.json", "/"]) expect(document.paths[path], path).toBeUndefined();
    expect(await (await get("/docs/json", true)).json()).toEqual(document);
    const yaml = await get("/docs/yaml", true);
    expect(yaml.headers.get("content-type")).toMatch(/^application\/x-yaml/);
    expect(await yaml.text()).toContain("/v1/chat/completions:");
  });
});
