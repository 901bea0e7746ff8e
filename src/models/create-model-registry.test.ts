import { describe, expect, it } from "vitest";
import { createLogger } from "../logging/create-logger.ts";
import type { ModelInfo, Provider } from "../providers/spec/index.ts";
import { createModelRegistry } from "./create-model-registry.ts";

/** A provider that lists `names()` (read again on every refresh). */
function listingProvider(id: string, names: () => string[]): Provider {
  return {
    id,
    type: "test",
    listModels: async (): Promise<ModelInfo[]> =>
      names().map((name) => ({ id: `${id}/${name}`, providerId: id, name, capabilities: ["chat"], state: "available" })),
    health: async () => ({ status: "ok" }),
  };
}

async function registryOf(providers: Provider[]) {
  const registry = createModelRegistry({
    providers,
    logger: createLogger("silent"),
    config: { providers: [], routes: [{ model: "fast", strategy: "fallback", targets: ["up/m1", "other/m1"] }] },
  });
  await registry.refresh();
  return registry;
}

describe("createModelRegistry: a listed model's targets", () => {
  it("are one frozen array per listed id, shared by every lookup and resolve, until the next refresh", async () => {
    let names = ["m1", "m2"];
    const registry = await registryOf([listingProvider("up", () => names)]);
    const first = registry.lookup("up/m1")?.targets;
    expect(first?.map((target) => target.id)).toEqual(["up/m1"]);
    expect(Object.isFrozen(first)).toBe(true);
    expect(registry.lookup("up/m1")?.targets).toBe(first);
    expect((await registry.resolve("up/m1")).targets).toBe(first);
    // A bare name resolves to the listed id's targets.
    expect(registry.lookup("m1")?.targets).toBe(first);

    names = ["m1"];
    await registry.refresh();
    const after = registry.lookup("up/m1")?.targets;
    expect(after).not.toBe(first);
    expect(after?.map((target) => target.id)).toEqual(["up/m1"]);
    expect(registry.lookup("up/m2")).toBeUndefined();
  });

  it("are made anew for a name no provider lists (nothing is kept for it)", async () => {
    // A provider that lists nothing may still serve any name: resolve lets it try.
    const registry = await registryOf([listingProvider("open", () => [])]);
    const first = await registry.resolve("open/anything");
    const second = await registry.resolve("open/anything");
    expect(first.targets.map((target) => target.id)).toEqual(["open/anything"]);
    expect(second.targets).not.toBe(first.targets);
  });
});

describe("createModelRegistry: knows", () => {
  it("is true exactly when lookup finds the id: a listed id, a bare name one provider lists, a route", async () => {
    const registry = await registryOf([listingProvider("up", () => ["m1", "m2"]), listingProvider("other", () => ["m1"])]);
    const cases: [string, boolean][] = [
      ["up/m1", true],
      ["other/m1", true],
      ["m2", true],
      ["fast", true],
      // Two providers list m1: a bare m1 is ambiguous.
      ["m1", false],
      ["up/m3", false],
      ["m3", false],
      ["nobody/m1", false],
    ];
    for (const [id, known] of cases) {
      expect(registry.knows(id), id).toBe(known);
      expect(registry.lookup(id) !== undefined, id).toBe(known);
    }
  });
});
