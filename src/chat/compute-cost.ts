import type { StationConfig } from "../config/schema.ts";
import type { UsageData } from "./chat-event.ts";

export interface Cost {
  total_usd: number;
  /** "config": the `pricing` table; "provider": prices the provider published with its model list. */
  source: "config" | "provider";
}

/**
 * Prices a generation: the config's `pricing` table first (USD per million tokens, keyed by
 * model id), else the provider's own model metadata — OpenRouter-style `pricing: {prompt,
 * completion}` in USD per token, or `{inputPerMillion, outputPerMillion}`. null when unknown.
 */
export function computeCost(
  modelId: string,
  usage: UsageData,
  pricing: StationConfig["pricing"],
  metadata?: Record<string, unknown>,
): Cost | null {
  const configured = pricing[modelId];
  if (configured !== undefined) {
    return {
      total_usd: round((usage.prompt_tokens * configured.inputPerMillion + usage.completion_tokens * configured.outputPerMillion) / 1e6),
      source: "config",
    };
  }
  const published = metadata?.pricing as Record<string, unknown> | undefined;
  if (published === undefined || published === null || typeof published !== "object") return null;
  const perToken = (value: unknown) => (typeof value === "number" ? value : typeof value === "string" ? Number(value) : Number.NaN);
  const prompt = perToken(published.prompt);
  const completion = perToken(published.completion);
  if (Number.isFinite(prompt) && Number.isFinite(completion)) {
    return { total_usd: round(usage.prompt_tokens * prompt + usage.completion_tokens * completion), source: "provider" };
  }
  const inputPerMillion = perToken(published.inputPerMillion);
  const outputPerMillion = perToken(published.outputPerMillion);
  if (Number.isFinite(inputPerMillion) && Number.isFinite(outputPerMillion)) {
    return {
      total_usd: round((usage.prompt_tokens * inputPerMillion + usage.completion_tokens * outputPerMillion) / 1e6),
      source: "provider",
    };
  }
  return null;
}

/** Micro-dollar precision: enough for per-token prices, free of float noise in the API. */
function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
