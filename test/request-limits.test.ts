import { connect, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { startTestStation, type TestStation } from "./support/start-test-station.ts";
import { makeTestCertificate } from "./support/test-certificate.ts";
import { eventually } from "./support/webhook-receiver.ts";

/** Guards against a hang; no assertion depends on it (the server's own timeouts are far shorter). */
const deadlineMs = 15_000;

interface RawConnection {
  socket: Socket;
  /** Everything the server sent. */
  received(): string;
  /** Resolves when the server has closed the connection. */
  closed: Promise<void>;
  /** True once the server has closed the connection. */
  isClosed(): boolean;
}

async function openConnection(station: TestStation): Promise<RawConnection> {
  const url = new URL(station.url);
  const socket = connect(Number(url.port), url.hostname);
  let text = "";
  let closedFlag = false;
  socket.on("data", (chunk: Buffer) => {
    text += chunk.toString("latin1");
  });
  // Writes after the server hung up fail with EPIPE / ECONNRESET: that is the point.
  socket.on("error", () => {});
  const closed = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server kept the connection open; it sent: ${JSON.stringify(text)}`)), deadlineMs);
    socket.once("close", () => {
      closedFlag = true;
      clearTimeout(timer);
      resolve();
    });
  });
  closed.catch(() => {});
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  return { socket, received: () => text, closed, isClosed: () => closedFlag };
}

/** Writes one byte every few milliseconds until the connection closes. */
function trickle(connection: RawConnection, byte: string): void {
  const timer = setInterval(() => {
    if (connection.socket.destroyed) clearInterval(timer);
    else connection.socket.write(byte);
  }, 20);
  connection.socket.once("close", () => clearInterval(timer));
}

let station: TestStation | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await station?.close();
  station = undefined;
});

async function open(): Promise<RawConnection> {
  if (station === undefined) throw new Error("no station");
  const connection = await openConnection(station);
  sockets.push(connection.socket);
  return connection;
}

describe("request timeouts", () => {
  it("cuts off a request whose body trickles in (no API keys: the default)", async () => {
    station = await startTestStation({ config: { server: { headersTimeoutMs: 300, requestTimeoutMs: 600 } } });
    const connection = await open();
    connection.socket.write(
      "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{",
    );
    trickle(connection, " ");
    await connection.closed;
    expect(connection.received()).toMatch(/^HTTP\/1\.1 408 /);
    expect(connection.received()).toContain('"code":"request_timeout"');
  });

  it("cuts off a request whose headers trickle in", async () => {
    station = await startTestStation({ config: { server: { headersTimeoutMs: 300, requestTimeoutMs: 600 } } });
    const connection = await open();
    connection.socket.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
    trickle(connection, "a");
    await connection.closed;
    expect(connection.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("closes a connection that never sends a request", async () => {
    station = await startTestStation({ config: { server: { headersTimeoutMs: 300, requestTimeoutMs: 600 } } });
    const connection = await open();
    await connection.closed;
    expect(connection.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it("applies over TLS too", async () => {
    const certificate = makeTestCertificate();
    try {
      station = await startTestStation({
        config: { server: { headersTimeoutMs: 300, requestTimeoutMs: 600, tls: { cert: certificate.cert, key: certificate.key } } },
      });
      const url = new URL(station.url);
      const socket = connectTls({ host: url.hostname, port: Number(url.port), ca: certificate.ca });
      sockets.push(socket);
      socket.on("error", () => {});
      let received = "";
      socket.on("data", (chunk: Buffer) => {
        received += chunk.toString("latin1");
      });
      await new Promise<void>((resolve) => socket.once("secureConnect", () => resolve()));
      socket.write(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{",
      );
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("the server kept the TLS connection open")), deadlineMs);
        socket.once("close", () => {
          clearTimeout(timer);
          resolve();
        });
      });
      expect(received).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      certificate.remove();
    }
  });

  it("lets a request that arrives in time take as long as its answer needs, on a connection that stays open", async () => {
    station = await startTestStation({ config: { server: { headersTimeoutMs: 300, requestTimeoutMs: 600 } } });
    const connection = await open();
    connection.socket.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    await eventually(() => connection.received().includes('"status"'));
    expect(connection.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(connection.isClosed()).toBe(false);
  });
});

describe("unauthenticated requests", () => {
  it("are refused before their body arrives, and the connection is closed", async () => {
    station = await startTestStation({ config: { server: { apiKeys: ["a-long-enough-key"] } } });
    const connection = await open();
    // A 1 MB body is announced; one byte of it is ever sent.
    connection.socket.write(
      "POST /api/uploads HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 1000000\r\n\r\n-",
    );
    await connection.closed;
    expect(connection.received()).toMatch(/^HTTP\/1\.1 401 /);
    expect(connection.received().toLowerCase()).toContain("connection: close");
  });

  it("a trickled body without a key is cut off at once, not read", async () => {
    station = await startTestStation({ config: { server: { apiKeys: ["a-long-enough-key"] } } });
    const connection = await open();
    connection.socket.write(
      "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{",
    );
    trickle(connection, " ");
    await connection.closed;
    expect(connection.received()).toMatch(/^HTTP\/1\.1 401 /);
  });
});

describe("open connections", () => {
  it("are capped: one over server.maxConnections is closed on arrival, and room frees up as others close", async () => {
    station = await startTestStation({ config: { server: { maxConnections: 3 } } });
    const held = [await open(), await open(), await open()];
    // Each of them is really open: it is answered.
    for (const connection of held) connection.socket.write("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    await eventually(() => held.every((connection) => connection.received().includes('"status"')));
    const extra = await open();
    await extra.closed;
    expect(extra.received()).toBe("");
    held[0]?.socket.destroy();
    const url = station.url;
    const status = await eventually(async () => {
      try {
        // An attempt that races the server's close can be dropped on arrival while undici waits
        // on it: each attempt gets its own short deadline.
        return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) })).status;
      } catch {
        return undefined; // the server has not seen the close yet
      }
    });
    expect(status).toBe(200);
  });
});
