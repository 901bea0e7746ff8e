import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../src/config/config-error.ts";
import { startTestStation, type TestStation } from "./support/start-test-station.ts";

describe("API keys", () => {
  let station: TestStation;
  beforeAll(async () => {
    station = await startTestStation({ config: { server: { apiKeys: ["key-one", "key-two"] } } });
  });
  afterAll(async () => station.close());

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${station.url}${path}`, { headers });

  it("leaves /health open", async () => {
    expect((await get("/health")).status).toBe(200);
  });

  it("refuses a request with no key", async () => {
    const response = await get("/openapi.json");
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: "invalid_api_key", message: expect.stringContaining("Bearer") } });
  });

  it("refuses a wrong key, in OpenAI's shape under /v1", async () => {
    const response = await get("/v1/models", { authorization: "Bearer key-three" });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: unknown }).error).toMatchObject({ type: "authentication_error", code: "invalid_api_key" });
  });

  it("accepts each right key, as Bearer or X-Moondream-Auth", async () => {
    expect((await get("/openapi.json", { authorization: "Bearer key-one" })).status).toBe(200);
    expect((await get("/openapi.json", { authorization: "bearer key-two" })).status).toBe(200);
    expect((await get("/openapi.json", { "x-moondream-auth": "key-two" })).status).toBe(200);
  });

  it("never echoes the presented key", async () => {
    const body = await (await get("/openapi.json", { authorization: "Bearer leaked-secret" })).text();
    expect(body).not.toContain("leaked-secret");
  });
});

describe("binding", () => {
  it("refuses a non-loopback address without API keys", async () => {
    await expect(startTestStation({ config: { server: { host: "0.0.0.0" } } })).rejects.toThrow(ConfigError);
    await expect(startTestStation({ config: { server: { host: "0.0.0.0" } } })).rejects.toThrow(/--insecure/);
  });

  it("allows it with a key, or with insecure", async () => {
    const withKey = await startTestStation({ config: { server: { host: "0.0.0.0", apiKeys: ["k"] } } });
    await withKey.close();
    const insecure = await startTestStation({ config: { server: { host: "0.0.0.0", insecure: true } } });
    await insecure.close();
  });
});
