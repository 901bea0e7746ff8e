import { get } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webUiContentSecurityPolicy } from "../../src/http/surfaces/web-ui-routes.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";

const expectedTypes: Record<string, RegExp> = {
  ".html": /^text\/html/,
  ".css": /^text\/css/,
  ".js": /^(text|application)\/javascript/,
  ".svg": /^image\/svg\+xml/,
};

/** Every /ui/ asset the page loads: what index.html names, then every module the scripts import, transitively. */
async function crawlAssets(baseUrl: string): Promise<Map<string, Response>> {
  const html = await (await fetch(`${baseUrl}/`)).text();
  const pending = [...html.matchAll(/(?:src|href)="(\/ui\/[^"]+)"/g)].map((match) => match[1]!);
  const seen = new Map<string, Response>();
  while (pending.length > 0) {
    const path = pending.pop()!;
    if (seen.has(path)) continue;
    const response = await fetch(`${baseUrl}${path}`);
    seen.set(path, response);
    if (path.endsWith(".js") && response.ok) {
      const source = await response.clone().text();
      for (const match of source.matchAll(/(?:import|export)\s[^"']*?from\s+"(\.[^"]+)"/g)) {
        pending.push(new URL(match[1]!, `http://station${path}`).pathname);
      }
    }
  }
  return seen;
}

describe("web UI: the static shell over HTTP", () => {
  let station: TestStation;

  beforeAll(async () => {
    station = await startTestStation();
  });
  afterAll(async () => station?.close());

  it("GET / is the page, with a strict Content-Security-Policy", async () => {
    const response = await fetch(`${station.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = response.headers.get("content-security-policy");
    expect(csp).toBe(webUiContentSecurityPolicy);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).not.toContain("unsafe-eval");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    const html = await response.text();
    expect(html).toContain('<script type="module" src="/ui/js/main.js"></script>');
    // Nothing inline: no script bodies, no style attributes or blocks, no inline handlers.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|<style|\son[a-z]+=/i);
  });

  it("serves every asset the page references, transitively, with the right content type and the CSP", async () => {
    const assets = await crawlAssets(station.url);
    expect(assets.size).toBeGreaterThan(10);
    expect([...assets.keys()]).toEqual(
      expect.arrayContaining(["/ui/styles.css", "/ui/icon.svg", "/ui/js/main.js", "/ui/js/views/chat.js"]),
    );
    for (const [path, response] of assets) {
      expect(response.status, path).toBe(200);
      const extension = path.slice(path.lastIndexOf("."));
      expect(response.headers.get("content-type"), path).toMatch(expectedTypes[extension] ?? /^$/);
      expect(response.headers.get("content-security-policy"), path).toBe(webUiContentSecurityPolicy);
      expect(response.headers.get("cache-control"), path).toBe("no-cache");
    }
  });

  it("revalidates: a second load with the ETag is a 304", async () => {
    const first = await fetch(`${station.url}/ui/styles.css`);
    const etag = first.headers.get("etag");
    expect(etag).toBeTruthy();
    // node:http, not fetch: fetch adds "cache-control: no-cache" to a conditional request, which forbids a 304.
    const status = await new Promise<number | undefined>((resolve, reject) => {
      get(`${station.url}/ui/styles.css`, { headers: { "if-none-match": etag! } }, (response) => {
        response.resume();
        resolve(response.statusCode);
      }).on("error", reject);
    });
    expect(status).toBe(304);
  });

  it("unknown routes keep their JSON 404s, in each surface's shape", async () => {
    const openAi = await fetch(`${station.url}/v1/no-such-thing`);
    expect(openAi.status).toBe(404);
    expect(await openAi.json()).toMatchObject({ error: { code: "route_not_found", type: "not_found_error" } });

    for (const path of ["/api/no-such-thing", "/ui/no-such-file.js", "/ui/", "/ui", "/index.html", "/ui/js/"]) {
      const response = await fetch(`${station.url}${path}`);
      expect(response.status, path).toBe(404);
      expect(response.headers.get("content-type"), path).toMatch(/^application\/json/);
      expect(await response.json(), path).toMatchObject({ error: { code: "route_not_found" } });
    }
  });

  it("never serves a file from outside web/", async () => {
    for (const path of [
      "/ui/../package.json",
      "/ui/%2e%2e/package.json",
      "/ui/js/..%2f..%2fpackage.json",
      "/ui/..%2f..%2fsrc/version.ts",
    ]) {
      const response = await fetch(`${station.url}${path}`);
      expect(response.status, path).toBeGreaterThanOrEqual(400);
      expect(await response.text(), path).not.toContain('"name": "station"');
    }
    // And the server is still fine.
    expect((await fetch(`${station.url}/health`)).status).toBe(200);
  });
});

describe("web UI with API keys configured", () => {
  let station: TestStation;

  beforeAll(async () => {
    station = await startTestStation({ config: { server: { apiKeys: ["ui-key"] } } });
  });
  afterAll(async () => station?.close());

  it("loads the shell (no data in it) without a key", async () => {
    for (const path of ["/", "/ui/js/main.js", "/ui/js/api.js", "/ui/styles.css", "/ui/icon.svg"]) {
      const response = await fetch(`${station.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-security-policy"), path).toBe(webUiContentSecurityPolicy);
    }
  });

  it("still refuses every API call the page makes without the key, and accepts the Bearer key", async () => {
    for (const path of ["/api/models", "/api/models/metadata", "/v1/models", "/caption/stats", "/api/mcp/servers/", "/v1/system/ps"]) {
      const refused = await fetch(`${station.url}${path}`);
      expect(refused.status, path).toBe(401);
      const accepted = await fetch(`${station.url}${path}`, { headers: { authorization: "Bearer ui-key" } });
      expect(accepted.status, path).toBe(200);
    }
    const stream = await fetch(`${station.url}/api/chat/stream`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_id: "web-ui", message: "hi" }),
    });
    expect(stream.status).toBe(401);
    expect(await stream.json()).toMatchObject({ error: { code: "invalid_api_key" } });
  });

  it("does not open anything else: unknown paths under /ui/ still need the key", async () => {
    expect((await fetch(`${station.url}/ui/no-such-file.js`)).status).toBe(401);
    expect((await fetch(`${station.url}/ui/no-such-file.js`, { headers: { authorization: "Bearer ui-key" } })).status).toBe(404);
  });
});
