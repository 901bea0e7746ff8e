import { describe, expect, it } from "vitest";
import type { EngineWorker } from "../engine-worker/start-engine-worker.ts";
import { startPooledResident } from "../engine-worker/start-pooled-resident.ts";
import { runOnResident } from "./run-on-resident.ts";

describe("a request on a pooled local vision model", () => {
  it("goes back to the worker that last served the same image when it is free, and fails with a 500 naming the model", async () => {
    let started = 0;
    const start = async (): Promise<EngineWorker<unknown, unknown>> => {
      const index = started++;
      return { run: async () => index, dispose: async () => undefined };
    };
    const resident = await startPooledResident<"image-text", unknown, unknown>({
      family: "image-text",
      sizeBytes: 10,
      threads: 1,
      workers: 2,
      maxQueue: 0,
      modelId: "vision/m",
      from: import.meta.url,
      module: "unused",
      workerData: {},
      onCacheReport() {},
      onCrash() {},
      start,
    });
    expect(resident.sizeBytes).toBe(20);
    const options = (contentHash: string) => ({
      modelId: "vision/m",
      family: "image-text" as const,
      acquire: async () => ({ model: resident, release() {} }),
      signal: undefined,
      contentHash,
    });
    const run = (contentHash: string) => runOnResident(options(contentHash), (worker) => worker.run({}, undefined));
    // Both workers busy at once: images a and b land on different workers.
    const [a, b] = await Promise.all([run("a"), run("b")]);
    expect(new Set([a, b])).toEqual(new Set([0, 1]));
    // One at a time afterwards, each image goes back to its worker.
    for (let round = 0; round < 3; round++) {
      expect(await run("a")).toBe(a);
      expect(await run("b")).toBe(b);
    }
    await expect(
      runOnResident(options("a"), async () => {
        throw new Error("session.run failed");
      }),
    ).rejects.toMatchObject({ status: 500, message: expect.stringContaining("'vision/m' failed: session.run failed") });
  });
});
