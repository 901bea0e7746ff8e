import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import BetterSqlite3 from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PsModel } from "../support/residency-probe.ts";
import { freePort, runStation, type StationProcess, stopStation, waitForHealth } from "../support/station-process.ts";
import { writeTinyFlorence2 } from "../support/tiny-florence2.ts";
import { solidPng } from "../support/vision-images.ts";
import { eventually } from "../support/webhook-receiver.ts";

const jobCount = 4;
const recovered = "A caption after the restart";

/**
 * SPEC §5 on a local vision model: `bin/station serve` runs caption jobs on a Florence-2 in its
 * worker thread, is SIGKILLed while they run, and is started again on the same data dir. The
 * first model never stops generating, so no job can finish before the kill; the restart finds a
 * model of the same name that answers, and every accepted job completes once.
 */
describe("caption queue crash safety on a local vision model", () => {
  let dataDir: string;
  let configFile: string;
  let modelDirectory: string;
  let url: string;
  const processes: StationProcess[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "station-local-crash-"));
    configFile = path.join(dataDir, "station.json");
    modelDirectory = path.join(dataDir, "data", "models", "florence");
    writeTinyFlorence2(modelDirectory, { endless: true });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    writeFileSync(
      configFile,
      JSON.stringify({
        server: { port },
        dataDir: path.join(dataDir, "data"),
        providers: [{ id: "vision", type: "local-vision", parallelRequests: 1, maxNewTokens: 4096 }],
        // A 10-minute lease: jobs running at the kill can only finish in time through start-up orphan recovery.
        queue: { concurrency: 2, capacity: 100, leaseMs: 600_000, retryBaseDelayMs: 10, maxAttempts: 5 },
      }),
    );
  });
  afterAll(async () => {
    for (const running of processes) await stopStation(running);
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  const ps = async (): Promise<PsModel[]> => ((await (await fetch(`${url}/v1/system/ps`)).json()) as { models: PsModel[] }).models;

  it("two queue workers share one loaded model; after SIGKILL and restart every job completes once", async () => {
    const first = runStation(["serve", "--config", configFile], { STATION_LOG_LEVEL: "warn" });
    processes.push(first);
    await waitForHealth(url, 60_000);

    const jobIds: string[] = [];
    for (let index = 0; index < jobCount; index++) {
      const response = await fetch(`${url}/caption/generate`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ image_data: (await solidPng(20 + index, 20)).toString("base64") }),
      });
      expect(response.status).toBe(202);
      jobIds.push(((await response.json()) as { job_id: string }).job_id);
    }

    // Both workers' jobs are on the one copy of the model: one generating, one waiting for it.
    const loaded = await eventually(async () => {
      const models = await ps();
      const florence = models.find((model) => model.id === "vision/florence");
      return florence?.sequences.busy === 1 && florence.sequences.waiting === 1 ? models : undefined;
    }, 60_000);
    expect(loaded.filter((model) => model.id === "vision/florence")).toHaveLength(1);
    expect(loaded.find((model) => model.id === "vision/florence")?.sequences.total).toBe(1);

    first.child.kill("SIGKILL");
    expect(await first.exited).toBe("SIGKILL");

    // The same name, now a model that ends its caption.
    rmSync(modelDirectory, { recursive: true, force: true });
    writeTinyFlorence2(modelDirectory, { text: recovered });
    const second = runStation(["serve", "--config", configFile], { STATION_LOG_LEVEL: "warn" });
    processes.push(second);
    await waitForHealth(url, 60_000);

    const views = await eventually(async () => {
      const all = await Promise.all(
        jobIds.map(
          async (id) =>
            (await (await fetch(`${url}/caption/job/${id}`)).json()) as {
              status: string;
              result?: { caption: string; model: string };
            },
        ),
      );
      return all.every((view) => view.status === "completed") ? all : undefined;
    }, 90_000);
    for (const view of views) expect(view.result).toMatchObject({ caption: recovered, model: "vision/florence" });

    await stopStation(second);
    expect(await second.exited).toBe(0);
    const database = new BetterSqlite3(path.join(dataDir, "data", "station.db"), { readonly: true });
    try {
      const rows = database.prepare("SELECT id, status FROM jobs WHERE queue = 'caption'").all() as { id: string; status: string }[];
      expect(rows.map((row) => row.id).sort()).toEqual([...jobIds].sort());
      expect(rows.every((row) => row.status === "completed")).toBe(true);
    } finally {
      database.close();
    }
  }, 240_000);
});
