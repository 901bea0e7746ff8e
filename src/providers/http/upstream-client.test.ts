import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UpstreamError } from "../../errors/upstream-error.ts";
import { UpstreamClient } from "./upstream-client.ts";

/** An upstream that takes every request and never answers. */
describe("UpstreamClient headers timeouts", () => {
  let server: Server;
  let baseUrl: string;
  const clients: UpstreamClient[] = [];
  const client = (timeoutMs: number): UpstreamClient => {
    const made = new UpstreamClient({ providerId: "hung", baseUrl, connectTimeoutMs: 5_000, timeoutMs, idleTimeoutMs: 60_000 });
    clients.push(made);
    return made;
  };

  beforeAll(async () => {
    server = createServer(() => {});
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(async () => {
    await Promise.all(clients.map((made) => made.close()));
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("says a headers timeout that was what is left of the call's deadline is the deadline (streamed and whole)", async () => {
    const hung = client(60_000);
    const errors = await Promise.all([
      hung.send({ method: "POST", path: "/chat/completions", body: "{}", timeoutMs: 20 }).catch((caught: unknown) => caught),
      hung.exchange({ method: "POST", path: "/chat/completions", body: "{}", timeoutMs: 20 }).catch((caught: unknown) => caught),
    ]);
    for (const error of errors) {
      expect(error).toBeInstanceOf(UpstreamError);
      expect(error).toMatchObject({ status: 504, code: "upstream_timeout", isRetryable: true, atDeadline: true });
    }
  });

  it("leaves the provider's own headers timeout an ordinary, retryable timeout", async () => {
    const hung = client(20);
    const errors = await Promise.all([
      hung.send({ method: "POST", path: "/chat/completions", body: "{}" }).catch((caught: unknown) => caught),
      // More time left than the provider's own timeout: that one fires, not the deadline.
      hung.exchange({ method: "POST", path: "/chat/completions", body: "{}", timeoutMs: 5_000 }).catch((caught: unknown) => caught),
    ]);
    for (const error of errors) {
      expect(error).toBeInstanceOf(UpstreamError);
      expect(error).toMatchObject({ status: 504, code: "upstream_timeout", isRetryable: true, atDeadline: false });
    }
  });
});
