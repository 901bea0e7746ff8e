import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHostAllowList } from "./host-allow-list.ts";
import { createOriginAllowList } from "./origin-allow-list.ts";
import { registerBrowserGuards } from "./register-browser-guards.ts";

describe("createHostAllowList", () => {
  const loopback = createHostAllowList({ loopbackOnly: true, allowedHosts: ["station.lan", ".corp.example"] });
  it.each([
    ["127.0.0.1:2020", true],
    ["127.8.9.10", true],
    ["localhost:2020", true],
    ["Localhost.:80", true],
    ["ui.localhost:2020", true],
    ["[::1]:2020", true],
    ["station.lan:2020", true],
    ["a.corp.example", true],
    ["corp.example", true],
    ["attacker.example:2020", false],
    ["127.0.0.1.attacker.example", false],
    ["localhost.attacker.example", false],
    ["127.1:2020", false],
    ["0x7f000001", false],
    ["[::ffff:127.0.0.1]:2020", false],
    ["10.0.0.1:2020", false],
    ["xcorp.example", false],
    ["[::1", false],
  ])("%s → %s", (host, expected) => {
    expect(loopback?.allows(host)).toBe(expected);
  });
  it("checks nothing when every Host is fine", () => {
    expect(createHostAllowList({ loopbackOnly: false })).toBeUndefined();
    expect(createHostAllowList({ loopbackOnly: true, allowedHosts: ["*"] })).toBeUndefined();
    expect(createHostAllowList({ loopbackOnly: false, allowedHosts: ["station.lan"] })?.allows("other.example")).toBe(false);
  });
});

describe("createOriginAllowList", () => {
  const list = createOriginAllowList(["https://app.example/", "http://localhost:*", "app://*", "null"]);
  it.each([
    ["https://app.example", true],
    ["HTTPS://APP.EXAMPLE", true],
    ["http://localhost:5173", true],
    ["app://-", true],
    ["null", true],
    ["https://app.example.attacker.example", false],
    ["http://localhost.attacker.example", false],
    ["http://app.example", false],
  ])("%s → %s", (origin, expected) => {
    expect(list.allows(origin)).toBe(expected);
  });
  it("'*' allows any origin, an empty list none", () => {
    expect(createOriginAllowList(["*"]).allows("https://anywhere.example")).toBe(true);
    expect(createOriginAllowList([]).allows("https://anywhere.example")).toBe(false);
  });
});

describe("registerBrowserGuards: a surface with origins of its own", () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = Fastify();
    registerBrowserGuards(app, { hosts: undefined, origins: createOriginAllowList(["https://everywhere.example"]) });
    // What a surface does in its plugin: mark its routes with extra origins.
    const desktopOrigins = createOriginAllowList(["app://*", "vscode-webview://*"]);
    await app.register(async (surface) => {
      surface.addHook("onRoute", (route) => {
        route.config = { ...route.config, corsOrigins: desktopOrigins };
      });
      surface.post("/api/chat", async () => ({ surface: "desktop" }));
    });
    app.post("/api/other", async () => ({ surface: "other" }));
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
  });

  it("accepts the surface's origins on its routes, preflights included", async () => {
    const preflight = await app.inject({
      method: "OPTIONS",
      url: "/api/chat",
      headers: { origin: "vscode-webview://abc", "access-control-request-method": "POST" },
    });
    expect(preflight.statusCode).toBe(204);
    expect(preflight.headers["access-control-allow-origin"]).toBe("vscode-webview://abc");
    const call = await app.inject({ method: "POST", url: "/api/chat", headers: { origin: "app://desktop" }, payload: {} });
    expect(call.statusCode).toBe(200);
    expect(call.headers["access-control-allow-origin"]).toBe("app://desktop");
  });

  it("keeps them off every other route", async () => {
    expect((await app.inject({ method: "POST", url: "/api/other", headers: { origin: "app://desktop" }, payload: {} })).statusCode).toBe(
      403,
    );
    const preflight = await app.inject({
      method: "OPTIONS",
      url: "/api/other",
      headers: { origin: "app://desktop", "access-control-request-method": "POST" },
    });
    expect(preflight.statusCode).toBe(403);
    // The server-wide list applies everywhere.
    expect(
      (await app.inject({ method: "POST", url: "/api/other", headers: { origin: "https://everywhere.example" }, payload: {} })).statusCode,
    ).toBe(200);
  });
});
