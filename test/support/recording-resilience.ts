import { Resilience } from "../../src/models/resilience/resilience.ts";
import type { GatewayMetrics } from "../../src/system/metrics/create-gateway-metrics.ts";

/**
 * A resilience layer with one attempt and a breaker that opens after a single failure, recording
 * each call's outcome ("ok", "error", "cancelled") in `outcomes`.
 */
export function recordingResilience(): { outcomes: string[]; resilience: Resilience } {
  const outcomes: string[] = [];
  const metrics = {
    recordCall: (_provider: string, _operation: string, outcome: string) => outcomes.push(outcome),
    callStarted: () => {},
    callEnded: () => {},
  } as unknown as GatewayMetrics;
  const resilience = new Resilience({
    settingsFor: () => ({
      retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, deadlineMs: 60_000 },
      cooldown: { failureRate: 0.5, minimumCalls: 1, windowMs: 60_000, cooldownMs: 60_000 },
    }),
    metrics,
  });
  return { outcomes, resilience };
}
