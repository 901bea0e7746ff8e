import { describe, expect, it } from "vitest";
import { computeCost } from "./compute-cost.ts";

const usage = { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 };

describe("computeCost", () => {
  it("uses the config's pricing table first (USD per million tokens)", () => {
    const pricing = { "op/gpt": { inputPerMillion: 2, outputPerMillion: 8 } };
    expect(computeCost("op/gpt", usage, pricing, { pricing: { prompt: "1", completion: "1" } })).toEqual({
      total_usd: 0.006,
      source: "config",
    });
  });

  it("falls back to prices the provider published (OpenRouter: USD per token, as strings)", () => {
    expect(computeCost("or/model", usage, {}, { pricing: { prompt: "0.000003", completion: "0.000015" } })).toEqual({
      total_usd: 0.0105,
      source: "provider",
    });
    expect(computeCost("x/model", usage, {}, { pricing: { inputPerMillion: 1, outputPerMillion: 2 } })).toEqual({
      total_usd: 0.002,
      source: "provider",
    });
  });

  it("is null when no price is known", () => {
    expect(computeCost("x/model", usage, {}, undefined)).toBeNull();
    expect(computeCost("x/model", usage, {}, { pricing: { prompt: "free" } })).toBeNull();
  });
});
