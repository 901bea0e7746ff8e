import type { ProviderHealth } from "../spec/index.ts";

/**
 * A provider's health from one probe call: "ok" with the probe's latency (and the detail it
 * returns) when it answers, "down" with the reason when it throws.
 */
export async function probeHealth(probe: () => Promise<string | undefined>): Promise<ProviderHealth> {
  const started = performance.now();
  try {
    const detail = await probe();
    const latencyMs = Math.round(performance.now() - started);
    return detail === undefined ? { status: "ok", latencyMs } : { status: "ok", latencyMs, detail };
  } catch (error) {
    return { status: "down", detail: (error as Error).message };
  }
}
