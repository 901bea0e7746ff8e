import { describe, expect, it } from "vitest";
import type { Provider } from "../../providers/spec/index.ts";
import type { ModelTarget } from "../resilience/model-target.ts";
import { Route } from "./route.ts";

const target = (id: string): ModelTarget => ({ id, provider: { id: id.split("/")[0] } as Provider, modelName: "m" });
const targets = [target("a/m"), target("b/m"), target("c/m")];

describe("Route", () => {
  it("fallback keeps the configured order", () => {
    const route = new Route({ model: "r", strategy: "fallback", targets: ["a/m", "b/m", "c/m"] });
    expect(route.order(targets, () => 0).map((t) => t.id)).toEqual(["a/m", "b/m", "c/m"]);
  });

  it("loadbalance picks by smooth weighted round-robin and keeps the others as fallbacks", () => {
    const route = new Route({
      model: "r",
      strategy: "loadbalance",
      targets: [
        { model: "a/m", weight: 5 },
        { model: "b/m", weight: 1 },
        { model: "c/m", weight: 1 },
      ],
    });
    const picks = Array.from({ length: 7 }, () => route.order(targets, () => 0));
    expect(picks.map((order) => order[0]?.id)).toEqual(["a/m", "a/m", "b/m", "a/m", "c/m", "a/m", "a/m"]);
    expect(picks[2]?.map((t) => t.id)).toEqual(["b/m", "c/m", "a/m"]);
  });

  it("least-busy picks the target with the fewest calls in flight, ties in configured order", () => {
    const route = new Route({ model: "r", strategy: "least-busy", targets: ["a/m", "b/m", "c/m"] });
    const busy: Record<string, number> = { "a/m": 2, "b/m": 0, "c/m": 1 };
    expect(route.order(targets, (id) => busy[id] ?? 0).map((t) => t.id)).toEqual(["b/m", "c/m", "a/m"]);
    expect(route.order(targets, () => 0).map((t) => t.id)).toEqual(["a/m", "b/m", "c/m"]);
  });
});
