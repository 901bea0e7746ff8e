import { describe, expect, it } from "vitest";
import { createInspectionCache, type ModelOnDisk } from "./create-inspection-cache.ts";

describe("inspection cache", () => {
  it("inspects each version of a model's files once, again when they change, and keeps a remembered result", async () => {
    const inspected: string[] = [];
    const seen: string[] = [];
    const cache = createInspectionCache(
      async (model: ModelOnDisk) => {
        inspected.push(`${model.name}@${model.modifiedMs}`);
        return { ok: true, version: model.modifiedMs };
      },
      (model) => seen.push(model.name),
    );
    const model = { name: "m", path: "/models/m", sizeBytes: 10, modifiedMs: 1 };
    expect(await cache.inspect(model)).toEqual({ ok: true, version: 1 });
    expect(await cache.inspect({ ...model })).toEqual({ ok: true, version: 1 });
    expect(inspected).toEqual(["m@1"]);
    expect(await cache.inspect({ ...model, modifiedMs: 2 })).toEqual({ ok: true, version: 2 });
    expect(inspected).toEqual(["m@1", "m@2"]);
    cache.remember({ ...model, modifiedMs: 2 }, { ok: false, version: 2 });
    expect(await cache.inspect({ ...model, modifiedMs: 2 })).toEqual({ ok: false, version: 2 });
    expect(inspected).toHaveLength(2);
    expect(seen).toEqual(["m", "m"]);
  });
});
