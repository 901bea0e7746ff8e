import { mkdirSync, mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RouteRequestRate } from "../src/system/metrics/create-request-counter.ts";
import { type FakeMoondreamUpstream, startFakeMoondreamUpstream } from "./support/fake-moondream-upstream.ts";
import { type FakeOpenAiUpstream, startFakeOpenAiUpstream } from "./support/fake-openai-upstream.ts";
import { startTestStation, type TestStation } from "./support/start-test-station.ts";
import { writeTinyGguf } from "./support/tiny-gguf.ts";
import { solidPng } from "./support/vision-images.ts";
import { eventually } from "./support/webhook-receiver.ts";

interface SystemMetrics {
  timestamp: string;
  version: string;
  uptimeSeconds: number;
  host: { platform: string; arch: string; nodeVersion: string };
  cpu: {
    model: string;
    cores: number;
    speedMHz: number;
    loadAverage: Record<"1m" | "5m" | "15m", number>;
    processPercent: number;
    systemPercent: number;
    intervalSeconds: number;
  };
  memory: {
    totalBytes: number;
    freeBytes: number;
    usedBytes: number;
    usedPercent: number;
    process: { rssBytes: number; heapUsedBytes: number; heapTotalBytes: number };
  };
  gpu: unknown;
  gpuDetail: string;
  queue: Record<string, unknown>;
  requests: { windowSeconds: number; total: number; lastMinute: number; perSecond: number; routes: RouteRequestRate[] };
  providers: {
    id: string;
    type: string;
    status: string;
    calls: number;
    errors: number;
    inFlight: number;
    errorCodes: Record<string, number>;
  }[];
}

describe("GET /v1/system/metrics", () => {
  let openai: FakeOpenAiUpstream;
  let moondream: FakeMoondreamUpstream;
  let station: TestStation;

  beforeAll(async () => {
    openai = await startFakeOpenAiUpstream({ models: ["gpt-test"] });
    moondream = await startFakeMoondreamUpstream();
    station = await startTestStation({
      config: {
        providers: [
          { id: "fake", type: "openai", baseUrl: openai.url, retry: { attempts: 1 } },
          { id: "md", type: "moondream", baseUrl: moondream.url },
        ],
        queue: { capacity: 7, concurrency: 3 },
      },
    });
  });
  afterAll(async () => {
    await station?.close();
    await openai?.close();
    await moondream?.close();
  });

  const metrics = async (): Promise<SystemMetrics> => {
    const response = await fetch(`${station.url}/v1/system/metrics`);
    expect(response.status).toBe(200);
    return (await response.json()) as SystemMetrics;
  };
  const route = (report: SystemMetrics, method: string, pattern: string) =>
    report.requests.routes.find((entry) => entry.method === method && entry.route === pattern);
  const chat = (body: Record<string, unknown>) =>
    fetch(`${station.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "fake/gpt-test", messages: [{ role: "user", content: "Hi" }], ...body }),
    });

  it("reports CPU, memory and host figures within their ranges", async () => {
    const report = await metrics();
    const health = (await (await fetch(`${station.url}/health`)).json()) as { version: string };
    expect(report.version).toBe(health.version);
    expect(Date.parse(report.timestamp)).not.toBeNaN();
    expect(report.uptimeSeconds).toBeGreaterThanOrEqual(0);
    expect(report.host).toMatchObject({ platform: os.platform(), arch: os.arch(), nodeVersion: process.version });

    expect(report.cpu.cores).toBe(os.availableParallelism());
    expect(report.cpu.model.length).toBeGreaterThan(0);
    for (const load of Object.values(report.cpu.loadAverage)) expect(load).toBeGreaterThanOrEqual(0);
    expect(report.cpu.systemPercent).toBeGreaterThanOrEqual(0);
    expect(report.cpu.systemPercent).toBeLessThanOrEqual(100);
    expect(report.cpu.processPercent).toBeGreaterThanOrEqual(0);
    // One process cannot use more than every core.
    expect(report.cpu.processPercent).toBeLessThanOrEqual(100 * os.cpus().length + 1);
    expect(report.cpu.intervalSeconds).toBeGreaterThanOrEqual(0);

    const { memory } = report;
    expect(memory.totalBytes).toBe(os.totalmem());
    expect(memory.usedBytes + memory.freeBytes).toBe(memory.totalBytes);
    expect(memory.usedBytes).toBeGreaterThan(0);
    expect(memory.usedPercent).toBeGreaterThan(0);
    expect(memory.usedPercent).toBeLessThanOrEqual(100);
    expect(memory.process.rssBytes).toBeGreaterThan(0);
    expect(memory.process.rssBytes).toBeLessThan(memory.totalBytes);
    expect(memory.process.heapUsedBytes).toBeLessThanOrEqual(memory.process.heapTotalBytes);
  });

  it("has no GPU figures without a running local engine, and says why", async () => {
    const report = await metrics();
    expect(report.gpu).toBeNull();
    expect(report.gpuDetail).toMatch(/no llamacpp provider/);
  });

  it("shows the caption queue exactly as GET /caption/stats does", async () => {
    const image = (await solidPng(32, 16)).toString("base64");
    const submitted = await fetch(`${station.url}/caption/generate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ image_data: image, model: "md/moondream" }),
    });
    expect(submitted.status).toBe(202);
    const { job_id } = (await submitted.json()) as { job_id: string };
    await eventually(async () => {
      const job = (await (await fetch(`${station.url}/caption/job/${job_id}`)).json()) as { status: string };
      return job.status === "completed";
    });
    const report = await metrics();
    const stats = await (await fetch(`${station.url}/caption/stats`)).json();
    expect(report.queue).toEqual(stats);
    expect(report.queue).toMatchObject({ capacity: 7, concurrency: 3, completed: 1, queued: 0, running: 0 });
  });

  it("counts requests per route pattern, streams and 404s included", async () => {
    const before = await metrics();
    for (let index = 0; index < 3; index++) expect((await fetch(`${station.url}/health`)).status).toBe(200);
    expect((await fetch(`${station.url}/caption/job/job_does_not_exist`)).status).toBe(404);
    expect((await fetch(`${station.url}/no/such/route`)).status).toBe(404);
    const streamed = await chat({ stream: true });
    expect(streamed.status).toBe(200);
    expect(await streamed.text()).toContain("[DONE]");
    const after = await metrics();

    const healthBefore = route(before, "GET", "/health")?.total ?? 0;
    expect(route(after, "GET", "/health")).toMatchObject({ total: healthBefore + 3 });
    expect(route(after, "GET", "/health")?.lastMinute).toBeGreaterThanOrEqual(3);
    expect(route(after, "GET", "/caption/job/:job_id")?.statuses["4xx"]).toBe(
      (route(before, "GET", "/caption/job/:job_id")?.statuses["4xx"] ?? 0) + 1,
    );
    expect(route(after, "GET", "(no route)")?.statuses["4xx"]).toBeGreaterThanOrEqual(1);
    // The streamed reply is written past Fastify (hijacked) and still counted, with its status.
    const chatRoute = route(after, "POST", "/v1/chat/completions");
    expect(chatRoute?.statuses["2xx"]).toBe((route(before, "POST", "/v1/chat/completions")?.statuses["2xx"] ?? 0) + 1);
    // The metrics call before this one is counted too.
    expect(route(after, "GET", "/v1/system/metrics")?.total).toBeGreaterThanOrEqual(1);
    expect(after.requests.total).toBe(after.requests.routes.reduce((sum, entry) => sum + entry.total, 0));
    expect(after.requests.total).toBeGreaterThanOrEqual(before.requests.total + 7);
    expect(after.requests.lastMinute).toBeLessThanOrEqual(after.requests.total);
    expect(after.requests.windowSeconds).toBeGreaterThanOrEqual(0);
    expect(after.requests.windowSeconds).toBeLessThanOrEqual(60);
    expect(after.requests.perSecond).toBeGreaterThan(0);

    const prometheus = await (await fetch(`${station.url}/metrics`)).text();
    expect(prometheus).toMatch(/station_http_requests_total\{method="GET",route="\/health",status="2xx"\} \d+/);
  });

  it("counts calls and errors per provider", async () => {
    const before = (await metrics()).providers.find((provider) => provider.id === "fake");
    expect(before).toMatchObject({ type: "openai", status: "ok" });
    expect((await chat({})).status).toBe(200);
    openai.fail({ kind: "status", status: 400, message: "bad request upstream" });
    expect((await chat({})).status).toBe(400);
    const after = (await metrics()).providers.find((provider) => provider.id === "fake");
    expect(after?.calls).toBe((before?.calls ?? 0) + 2);
    expect(after?.errors).toBe((before?.errors ?? 0) + 1);
    expect(after?.inFlight).toBe(0);
    expect(Object.values(after?.errorCodes ?? {}).reduce((sum, count) => sum + count, 0)).toBe(after?.errors);
    expect((await metrics()).providers.map((provider) => provider.id)).toEqual(expect.arrayContaining(["fake", "md"]));
  });

  it("is described in the OpenAPI document", async () => {
    const document = (await (await fetch(`${station.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toContain("/v1/system/metrics");
  });
});

describe("GET /v1/system/metrics with the local engine", () => {
  let station: TestStation;

  beforeAll(async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "station-metrics-"));
    mkdirSync(path.join(dataDir, "models"));
    await writeTinyGguf(path.join(dataDir, "models", "tiny.gguf"));
    station = await startTestStation({ dataDir, config: { providers: [{ id: "local", type: "llamacpp", contextSize: 512 }] } });
  }, 60_000);
  afterAll(async () => {
    await station?.close();
  });

  const gpuReport = async () =>
    (await (await fetch(`${station.url}/v1/system/metrics`)).json()) as Pick<SystemMetrics, "gpu" | "gpuDetail">;

  it("never starts the engine to answer, and reads the GPU once the engine runs", async () => {
    expect(await gpuReport()).toMatchObject({ gpu: null, gpuDetail: expect.stringMatching(/not started yet/) });
    const loaded = await fetch(`${station.url}/v1/system/models/load`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "local/tiny" }),
    });
    expect(loaded.status).toBe(200);
    const report = await gpuReport();
    if (report.gpu === null) {
      // This machine has no GPU llama.cpp can use (CI and the dev VM).
      expect(report.gpuDetail).toMatch(/runs on the CPU/);
    } else {
      const gpu = report.gpu as { type: string; devices: string[]; vram: { totalBytes: number; usedBytes: number } };
      expect(["cuda", "vulkan", "metal"]).toContain(gpu.type);
      expect(gpu.vram.totalBytes).toBeGreaterThan(0);
      expect(gpu.vram.usedBytes).toBeLessThanOrEqual(gpu.vram.totalBytes);
    }
  }, 60_000);
});
