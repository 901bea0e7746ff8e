import { describe, expect, it } from "vitest";
import { createManualScheduler } from "../../../test/support/local-manual-scheduler.ts";
import { createLogger } from "../../logging/create-logger.ts";
import { createModelResidency, type Resident } from "./model-residency.ts";

function fakeModels() {
  const disposed: string[] = [];
  let loads = 0;
  const prepare = (name: string, sizeBytes: number) => async () => ({
    estimatedBytes: sizeBytes,
    load: async (): Promise<Resident> => {
      loads++;
      return { sizeBytes, dispose: async () => void disposed.push(name) };
    },
  });
  return { disposed, prepare, loads: () => loads };
}

const settle = async () => {
  for (let index = 0; index < 5; index++) await new Promise((resolve) => setImmediate(resolve));
};

describe("model residency", () => {
  it("shares one load between concurrent first users", async () => {
    const models = fakeModels();
    const residency = createModelResidency({
      scheduler: createManualScheduler(),
      defaultKeepAliveMs: 1000,
      memoryBudgetBytes: 0,
      logger: createLogger("silent"),
    });
    const [a, b] = await Promise.all([residency.acquire("a", models.prepare("a", 10)), residency.acquire("a", models.prepare("a", 10))]);
    expect(models.loads()).toBe(1);
    expect(a.model).toBe(b.model);
    expect(residency.entries()[0]?.users).toBe(2);
  });

  it("evicts the least recently used idle model to stay within the memory budget, never a busy one", async () => {
    const scheduler = createManualScheduler();
    const models = fakeModels();
    const residency = createModelResidency({ scheduler, defaultKeepAliveMs: -1, memoryBudgetBytes: 100, logger: createLogger("silent") });
    const a = await residency.acquire("a", models.prepare("a", 40));
    scheduler.advance(1);
    a.release();
    scheduler.advance(1);
    const b = await residency.acquire("b", models.prepare("b", 40));
    scheduler.advance(1);
    b.release();
    // a is older: loading c (40) must unload a, not b.
    const c = await residency.acquire("c", models.prepare("c", 40));
    expect(models.disposed).toEqual(["a"]);
    expect(
      residency
        .entries()
        .map((entry) => entry.name)
        .sort(),
    ).toEqual(["b", "c"]);
    // b idle, c busy: a model of 70 would need c gone too, so it is refused with 503 and b stays.
    await expect(residency.acquire("d", models.prepare("d", 70))).rejects.toMatchObject({ code: "busy", status: 503 });
    expect(models.disposed).toEqual(["a"]);
    c.release();
  });

  it("unloads a busy model only after its last user releases", async () => {
    const models = fakeModels();
    const residency = createModelResidency({
      scheduler: createManualScheduler(),
      defaultKeepAliveMs: -1,
      memoryBudgetBytes: 0,
      logger: createLogger("silent"),
    });
    const handle = await residency.acquire("a", models.prepare("a", 1));
    expect(await residency.unload("a")).toBe(true);
    expect(residency.entries()).toEqual([]);
    expect(models.disposed).toEqual([]);
    handle.release();
    await settle();
    expect(models.disposed).toEqual(["a"]);
    expect(await residency.unload("a")).toBe(false);
  });

  it("starts the keep-alive when the last user leaves, not before", async () => {
    const scheduler = createManualScheduler();
    const models = fakeModels();
    const residency = createModelResidency({ scheduler, defaultKeepAliveMs: 1000, memoryBudgetBytes: 0, logger: createLogger("silent") });
    const first = await residency.acquire("a", models.prepare("a", 1));
    const second = await residency.acquire("a", models.prepare("a", 1));
    first.release();
    scheduler.advance(5000);
    expect(residency.entries()).toHaveLength(1);
    second.release();
    expect(residency.entries()[0]?.expiresAt).toBe(scheduler.now() + 1000);
    scheduler.advance(1000);
    await settle();
    expect(models.disposed).toEqual(["a"]);
  });
});

describe("model residency scopes (one budget for every engine)", () => {
  it("evicts another engine's idle model to make room, and each scope lists only its own", async () => {
    const scheduler = createManualScheduler();
    const models = fakeModels();
    const shared = createModelResidency({ scheduler, defaultKeepAliveMs: -1, memoryBudgetBytes: 100, logger: createLogger("silent") });
    const gguf = shared.scope("local", { defaultKeepAliveMs: -1 });
    const vision = shared.scope("vision", { defaultKeepAliveMs: 5000 });
    const a = await gguf.acquire("a", models.prepare("a", 60));
    scheduler.advance(1);
    a.release();
    const f = await vision.acquire("a", models.prepare("florence", 60));
    expect(models.disposed).toEqual(["a"]);
    expect(gguf.entries()).toEqual([]);
    expect(vision.entries().map((entry) => [entry.name, entry.keepAliveMs])).toEqual([["a", 5000]]);
    expect(shared.entries()).toHaveLength(1);
    f.release();
    await vision.close();
    expect(models.disposed).toEqual(["a", "florence"]);
  });

  it("applies a scope's own budget to its own models only", async () => {
    const models = fakeModels();
    const shared = createModelResidency({
      scheduler: createManualScheduler(),
      defaultKeepAliveMs: -1,
      memoryBudgetBytes: 0,
      logger: createLogger("silent"),
    });
    const other = shared.scope("other", { defaultKeepAliveMs: -1 });
    const small = shared.scope("small", { defaultKeepAliveMs: -1, memoryBudgetBytes: 50 });
    (await other.acquire("big", models.prepare("big", 500))).release();
    (await small.acquire("x", models.prepare("x", 30))).release();
    (await small.acquire("y", models.prepare("y", 30))).release();
    expect(models.disposed).toEqual(["x"]);
    expect(other.entries()).toHaveLength(1);
  });
});
