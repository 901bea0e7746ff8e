import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createTcpServer, type Server as TcpServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openModelRegistry } from "../src/cli/open-model-registry.ts";
import { parseConfig } from "../src/config/load-config.ts";
import { createLogger } from "../src/logging/create-logger.ts";
import { runDiagnostics } from "../src/system/diagnostics.ts";
import { type FakeOpenAiUpstream, startFakeOpenAiUpstream } from "./support/fake-openai-upstream.ts";
import { startTestStation, type TestStation } from "./support/start-test-station.ts";

const directory = mkdtempSync(path.join(tmpdir(), "station-doctor-"));

function listen<T extends Server | TcpServer>(server: T): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : 0);
    });
  });
}

/** What `station doctor` runs: the config's providers built and discovered as `serve` does, then the checks. */
async function doctor(document: Record<string, unknown>) {
  const config = parseConfig({ dataDir: directory, ...document });
  const { registry } = await openModelRegistry(config, createLogger("silent"), () => {});
  try {
    return await runDiagnostics(config, { registry, timeoutMs: 2000 });
  } finally {
    await registry.close();
  }
}

describe("station doctor tells the truth", () => {
  let upstream: FakeOpenAiUpstream;
  let notFound: Server;
  let notFoundPort: number;
  let station: TestStation;
  let other: TcpServer;
  let otherPort: number;

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ models: ["real-model"] });
    // A web server at the provider's URL that is not the API: every path answers 404.
    notFound = createServer((_request, response) => {
      response.writeHead(404, { "content-type": "text/html" });
      response.end("<h1>Not Found</h1>");
    });
    notFoundPort = await listen(notFound);
    station = await startTestStation();
    other = createTcpServer((socket) => socket.destroy());
    otherPort = await listen(other);
  });
  afterAll(async () => {
    await upstream.close();
    notFound.closeAllConnections();
    await new Promise((resolve) => notFound.close(resolve));
    await new Promise((resolve) => other.close(resolve));
    await station.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it("fails a provider whose URL answers 404, passes one that serves its models", async () => {
    const report = await doctor({
      server: { port: 0 },
      providers: [
        { id: "gone", type: "openai", baseUrl: `http://127.0.0.1:${notFoundPort}/v1`, retry: { attempts: 1 } },
        { id: "up", type: "openai", baseUrl: upstream.url, retry: { attempts: 1 } },
      ],
    });
    const gone = report.checks.find((check) => check.name === "provider gone (openai)");
    expect(gone?.status).toBe("fail");
    expect(gone?.detail).toMatch(/404/);
    const up = report.checks.find((check) => check.name === "provider up (openai)");
    expect(up).toMatchObject({ status: "ok" });
    expect(up?.detail).toContain("1 model(s)");
    expect(report.status).toBe("fail");
  });

  it("fails a defaults model or route target that does not exist, passes the ones that do", async () => {
    const report = await doctor({
      server: { port: 0 },
      providers: [{ id: "up", type: "openai", baseUrl: upstream.url, retry: { attempts: 1 } }],
      defaults: { chatModel: "up/no-such-model", embeddingModel: "up/real-model" },
      routes: [{ model: "chat-default", targets: ["up/real-model", "ghost/model"] }],
    });
    const byName = (name: string) => report.checks.filter((check) => check.name === name);
    expect(byName("model up/no-such-model")).toEqual([
      expect.objectContaining({ status: "fail", detail: expect.stringContaining("defaults.chatModel") }),
    ]);
    expect(byName("model ghost/model")).toEqual([
      expect.objectContaining({ status: "fail", detail: expect.stringContaining("routes 'chat-default'") }),
    ]);
    expect(byName("model up/real-model").map((check) => check.status)).toEqual(["ok", "ok"]);
    expect(report.status).toBe("fail");
  });

  it("a port taken by a running Station is fine; taken by anything else, it is not", async () => {
    const stationPort = Number(new URL(station.url).port);
    const running = await doctor({ server: { port: stationPort }, providers: [] });
    const port = running.checks.find((check) => check.name === "port");
    expect(port?.status).toBe("ok");
    expect(port?.detail).toMatch(/in use by a running Station \d+\.\d+\.\d+/);
    expect(running.status).toBe("ok");

    const taken = await doctor({ server: { port: otherPort }, providers: [] });
    expect(taken.checks.find((check) => check.name === "port")).toMatchObject({
      status: "fail",
      detail: expect.stringContaining("is not free"),
    });
  });
});
