import type { RouteConfig } from "../../config/schema.ts";
import type { ModelTarget } from "../resilience/model-target.ts";
import { WeightedRoundRobin } from "./weighted-round-robin.ts";

export interface RouteTarget {
  modelId: string;
  weight: number;
}

/**
 * A configured alias (`routes:`): one model name over several targets. `order` gives the
 * targets in the order one call should try them: the first is the strategy's pick, the
 * others are its fallbacks.
 */
export class Route {
  readonly name: string;
  readonly strategy: RouteConfig["strategy"];
  readonly targets: RouteTarget[];
  private readonly roundRobin: WeightedRoundRobin;

  constructor(config: RouteConfig) {
    this.name = config.model;
    this.strategy = config.strategy;
    this.targets = config.targets.map((target) =>
      typeof target === "string" ? { modelId: target, weight: 1 } : { modelId: target.model, weight: target.weight },
    );
    this.roundRobin = new WeightedRoundRobin(this.targets.map((target) => target.weight));
  }

  order(resolved: readonly ModelTarget[], inFlight: (targetId: string) => number): ModelTarget[] {
    if (this.strategy === "fallback" || resolved.length < 2) return [...resolved];
    if (this.strategy === "least-busy") {
      return resolved
        .map((target, index) => ({ target, index, busy: inFlight(target.id) }))
        .sort((a, b) => a.busy - b.busy || a.index - b.index)
        .map((entry) => entry.target);
    }
    const first = this.roundRobin.next();
    return [...resolved.slice(first), ...resolved.slice(0, first)];
  }
}
