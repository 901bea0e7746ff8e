import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectCompletedDeliveries } from "./support/expect-completed-deliveries.ts";
import { captionFor, type FakeMoondreamUpstream, startFakeMoondreamUpstream } from "./support/fake-moondream-upstream.ts";
import { freePort, runStation, type StationProcess, waitForHealth } from "./support/station-process.ts";
import { solidPng } from "./support/vision-images.ts";
import { eventually, startWebhookReceiver, type WebhookReceiver } from "./support/webhook-receiver.ts";

const jobCount = 24;
const secret = `whsec_${randomBytes(24).toString("base64")}`;

/**
 * SPEC §5: a job accepted with 202 is never lost. Station runs as a real child process
 * (`bin/station serve`) on a slow fake Moondream; it is SIGKILLed while jobs are running,
 * then started again on the same data dir.
 */
describe("caption queue crash safety", () => {
  let upstream: FakeMoondreamUpstream;
  let receiver: WebhookReceiver;
  let dataDir: string;
  let configFile: string;
  let url: string;
  const processes: StationProcess[] = [];

  beforeAll(async () => {
    upstream = await startFakeMoondreamUpstream({ delayMs: 120 });
    receiver = await startWebhookReceiver();
    dataDir = mkdtempSync(path.join(tmpdir(), "station-crash-"));
    configFile = path.join(dataDir, "station.json");
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    writeFileSync(
      configFile,
      JSON.stringify({
        server: { port },
        dataDir: path.join(dataDir, "data"),
        providers: [{ id: "md", type: "moondream", baseUrl: upstream.url }],
        // A 10-minute lease: jobs running at the kill can only finish in time through start-up orphan recovery.
        queue: { concurrency: 3, capacity: 100, leaseMs: 600_000, retryBaseDelayMs: 10, maxAttempts: 5 },
        webhooks: { secret, baseDelayMs: 10 },
        security: { allowPrivateNetworks: true },
      }),
    );
  });
  afterAll(async () => {
    for (const running of processes) {
      if (running.child.exitCode === null && running.child.signalCode === null) {
        running.child.kill("SIGTERM");
        await running.exited;
      }
    }
    await upstream?.close();
    await receiver?.close();
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  it("completes every accepted job after SIGKILL and restart: one result each, every webhook delivered and signed", async () => {
    const first = runStation(["serve", "--config", configFile], { STATION_LOG_LEVEL: "warn" });
    processes.push(first);
    await waitForHealth(url, 60_000);

    const sizes = Array.from({ length: jobCount }, (_, index) => 10 + index);
    const jobIds: string[] = [];
    for (const size of sizes) {
      const response = await fetch(`${url}/caption/generate`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ image_data: (await solidPng(size, size)).toString("base64"), webhook_url: receiver.url }),
      });
      expect(response.status).toBe(202);
      jobIds.push(((await response.json()) as { job_id: string }).job_id);
    }

    // Kill while some jobs are done and others are running or waiting.
    await eventually(() => (upstream.served.get("/v1/caption") ?? 0) >= 6);
    first.child.kill("SIGKILL");
    expect(await first.exited).toBe("SIGKILL");
    const servedBeforeCrash = upstream.served.get("/v1/caption") ?? 0;
    expect(servedBeforeCrash).toBeLessThan(jobCount);

    const second = runStation(["serve", "--config", configFile], { STATION_LOG_LEVEL: "warn" });
    processes.push(second);
    await waitForHealth(url, 60_000);

    const views = await eventually(async () => {
      const all = await Promise.all(
        jobIds.map(
          async (id) => (await (await fetch(`${url}/caption/job/${id}`)).json()) as { status: string; result?: { caption: string } },
        ),
      );
      return all.every((view) => view.status === "completed") ? all : undefined;
    }, 60_000);
    views.forEach((view, index) => {
      expect(view.result?.caption).toBe(captionFor("normal", sizes[index]!, sizes[index]!));
    });

    await expectCompletedDeliveries(receiver, secret, jobIds, 30_000);

    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);

    // Straight from the database: one row and one stored result per job, one webhook delivery job per job.
    const database = new BetterSqlite3(path.join(dataDir, "data", "station.db"), { readonly: true });
    try {
      const rows = database.prepare("SELECT id, status, result FROM jobs WHERE queue = 'caption'").all() as {
        id: string;
        status: string;
        result: string;
      }[];
      expect(rows.map((row) => row.id).sort()).toEqual([...jobIds].sort());
      expect(rows.every((row) => row.status === "completed" && JSON.parse(row.result).caption.length > 0)).toBe(true);
      const hooks = database.prepare("SELECT parent_id, status FROM jobs WHERE queue = 'webhook'").all() as {
        parent_id: string;
        status: string;
      }[];
      expect(hooks).toHaveLength(jobCount);
      expect(new Set(hooks.map((hook) => hook.parent_id)).size).toBe(jobCount);
      expect(hooks.every((hook) => hook.status === "completed")).toBe(true);
    } finally {
      database.close();
    }
  }, 180_000);
});
