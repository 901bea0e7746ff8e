import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { waitUntil } from "../support/mcp-in-memory-server.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { connectRealtime, type RealtimeClient, realtimeUrl, UnexpectedResponse } from "./realtime-client.ts";
import { createRealtimeFixture } from "./realtime-fixture.ts";

const { provider } = createRealtimeFixture();

async function refusal(promise: Promise<unknown>): Promise<UnexpectedResponse> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(UnexpectedResponse);
  return error as UnexpectedResponse;
}

/** Sends a WebSocket upgrade request by hand; resolves with what came back once the server closed the socket. */
function rawUpgrade(url: string, path: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), hostname);
    let received = "";
    socket.on("data", (chunk) => (received += chunk.toString()));
    socket.on("error", reject);
    socket.on("close", () => resolve(received));
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: ${hostname}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    );
  });
}

describe("with API keys", () => {
  let station: TestStation;
  beforeAll(async () => {
    station = await startTestStation({
      providers: [provider],
      config: { server: { apiKeys: ["key-one", "key-two"] }, defaults: { chatModel: "fake/scripted" } },
    });
  });
  afterAll(async () => station?.close());

  it("refuses the upgrade without a key, or with a wrong one (401, OpenAI's error shape)", async () => {
    const none = await refusal(connectRealtime(station.url));
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body).error).toMatchObject({ type: "authentication_error", code: "invalid_api_key" });
    expect((await refusal(connectRealtime(station.url, { headers: { authorization: "Bearer key-three" } }))).status).toBe(401);
    const wrongProtocol = await refusal(connectRealtime(station.url, { protocols: ["station.realtime.v1", "bearer.key-three"] }));
    expect(wrongProtocol.status).toBe(401);
    expect(wrongProtocol.body).not.toContain("key-three");
  });

  it("closes the socket of a refused upgrade at once", async () => {
    expect(await rawUpgrade(station.url, "/v1/realtime")).toMatch(/^HTTP\/1\.1 401 /);
  });

  it("closes an upgrade request to a path that is not a WebSocket once it idles", async () => {
    expect(await rawUpgrade(station.url, "/v1/models")).toMatch(/^HTTP\/1\.1 401 /);
  }, 15_000);

  it("accepts the key as Authorization: Bearer", async () => {
    const client = await connectRealtime(station.url, { headers: { authorization: "Bearer key-two" } });
    client.send({ type: "text", text: "with a header" });
    expect(await client.next("response.done")).toMatchObject({ status: "completed", text: "You said: with a header" });
    await client.close();
  });

  it("accepts the key as a bearer.<key> subprotocol (browsers), choosing station.realtime.v1, never the key", async () => {
    const client = await connectRealtime(station.url, { protocols: ["station.realtime.v1", "bearer.key-one"] });
    expect(client.socket.protocol).toBe("station.realtime.v1");
    client.send({ type: "text", text: "from a browser" });
    expect(await client.next("response.done")).toMatchObject({ status: "completed", text: "You said: from a browser" });
    await client.close();
  });

  it("fails the handshake when only the key is offered, as a browser would (no subprotocol to choose)", async () => {
    const socket = new WebSocket(realtimeUrl(station.url), ["bearer.key-one"]);
    const error = await new Promise<Error>((resolve) => socket.once("error", resolve));
    expect(error.message).toMatch(/subprotocol/i);
  });
});

describe("limits", () => {
  let station: TestStation;
  beforeAll(async () => {
    station = await startTestStation({
      providers: [provider],
      config: { defaults: { chatModel: "fake/scripted" }, realtime: { maxSessions: 1, pingIntervalMs: 100 } },
    });
  });
  afterAll(async () => station?.close());

  /** The server frees a slot when it sees the socket close, which may come just after the client does. */
  const connectWhenFree = async (): Promise<RealtimeClient> => {
    let client: RealtimeClient | undefined;
    await waitUntil(async () => {
      client = await connectRealtime(station.url).catch(() => undefined);
      return client !== undefined;
    }, "a free session slot");
    return client as RealtimeClient;
  };

  it("answers a plain GET with 426 Upgrade Required", async () => {
    const response = await fetch(`${station.url}/v1/realtime`);
    expect(response.status).toBe(426);
    expect(response.headers.get("upgrade")).toBe("websocket");
    expect(((await response.json()) as { error: unknown }).error).toMatchObject({ code: "upgrade_required" });
  });

  it("refuses sessions beyond realtime.maxSessions with 503 and Retry-After, and admits one again once a slot frees", async () => {
    const first = await connectRealtime(station.url);
    await first.next("session.created");
    const refused = await refusal(connectRealtime(station.url));
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.body).error).toMatchObject({ code: "busy" });
    await first.close();
    await (await connectWhenFree()).close();
  });

  it("disconnects a client that stops answering pings, and frees its session", async () => {
    const silent = new WebSocket(realtimeUrl(station.url), { autoPong: false });
    const code = await new Promise<number>((resolve) => silent.once("close", resolve));
    expect(code).toBe(1006);
    await (await connectWhenFree()).close();
  });
});
