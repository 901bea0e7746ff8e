import { describe, expect, it } from "vitest";
import type { EngineWorker } from "./start-engine-worker.ts";
import { startEngineWorkerPool } from "./start-engine-worker-pool.ts";

/** Fake workers whose runs finish only when the test says so, counting how many run at once. */
function fakeWorkers() {
  let running = 0;
  let peak = 0;
  const finishers: (() => void)[] = [];
  const started: number[] = [];
  let disposed = 0;
  const start = async (): Promise<EngineWorker<unknown, unknown>> => {
    const index = started.length;
    started.push(index);
    return {
      run: () =>
        new Promise((resolve) => {
          running++;
          peak = Math.max(peak, running);
          finishers.push(() => {
            running--;
            resolve(index);
          });
        }),
      async dispose() {
        disposed++;
      },
    };
  };
  return { start, started, finishers, peak: () => peak, running: () => running, disposed: () => disposed };
}

const base = { from: import.meta.url, module: "unused", workerData: {}, modelId: "vision/m", onCacheReport() {}, onCrash() {} };

describe("a model's pool of worker threads", () => {
  it("runs as many requests at once as it has workers, each on its own worker; the next waits for a free one", async () => {
    const fake = fakeWorkers();
    const pool = await startEngineWorkerPool({ ...base, workers: 2, maxQueue: 4, start: fake.start });
    expect(fake.started).toEqual([0, 1]);
    const request = async () => {
      const slot = await pool.slots.acquire();
      try {
        return await slot.sequence.run({}, undefined);
      } finally {
        slot.release();
      }
    };
    const results = [request(), request(), request()];
    await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(fake.running()).toBe(2);
    expect(pool.slots.waiting()).toBe(1);
    fake.finishers.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
    expect(fake.running()).toBe(2);
    while (fake.finishers.length > 0) {
      fake.finishers.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const served = await Promise.all(results);
    expect(fake.peak()).toBe(2);
    expect(new Set(served.slice(0, 2))).toEqual(new Set([0, 1]));
    await pool.dispose();
    expect(fake.disposed()).toBe(2);
  });

  it("a worker that fails to load disposes the ones started and rejects with its reason", async () => {
    const fake = fakeWorkers();
    let calls = 0;
    const start = async () => {
      if (++calls === 2) throw new Error("protobuf parsing failed");
      return fake.start();
    };
    await expect(startEngineWorkerPool({ ...base, workers: 3, maxQueue: 0, start })).rejects.toThrow("protobuf parsing failed");
    expect(calls).toBe(2);
    expect(fake.disposed()).toBe(1);
  });
});
