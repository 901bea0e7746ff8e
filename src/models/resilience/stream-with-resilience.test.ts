import { describe, expect, it } from "vitest";
import { UpstreamError } from "../../errors/upstream-error.ts";
import type { Provider } from "../../providers/spec/index.ts";
import type { ModelTarget } from "./model-target.ts";
import { Resilience } from "./resilience.ts";
import { streamWithResilience } from "./stream-with-resilience.ts";

const target: ModelTarget = {
  id: "p/m",
  provider: { id: "p", type: "test", listModels: async () => [], health: async () => ({ status: "ok" }) } as Provider,
  modelName: "m",
};
const boom = (): UpstreamError => new UpstreamError({ message: "boom", provider: "p", statusCode: 503, isRetryable: true });

function resilience(): Resilience {
  return new Resilience({
    settingsFor: () => ({
      retry: { attempts: 2, baseDelayMs: 0, maxDelayMs: 0, deadlineMs: 120_000 },
      cooldown: { failureRate: 0.5, minimumCalls: 1, windowMs: 60_000, cooldownMs: 60_000 },
    }),
    sleep: async () => {},
  });
}

async function* pieces(fail: "before" | "after" | "never", ...texts: string[]): AsyncGenerator<string> {
  if (fail === "before") throw boom();
  for (const text of texts) yield text;
  if (fail === "after") throw boom();
}

describe("streamWithResilience", () => {
  it("retries a stream that fails before its first piece, then relays it whole", async () => {
    const layer = resilience();
    const plans: ("before" | "never")[] = ["before", "never"];
    const stream = streamWithResilience(layer, [target], () => pieces(plans.shift() ?? "never", "a", "b"), { operation: "caption" });
    const received: string[] = [];
    for await (const piece of stream) received.push(piece);
    expect(received).toEqual(["a", "b"]);
    expect(plans).toEqual([]);
    expect(layer.inFlight("p/m")).toBe(0);
    expect(layer.breakerStates("p")[0]?.state).toBe("closed");
  });

  it("never replays after the first piece: a failure midway reaches the caller and counts against the target", async () => {
    const layer = resilience();
    let opened = 0;
    const stream = streamWithResilience(
      layer,
      [target],
      () => {
        opened++;
        return pieces("after", "a");
      },
      { operation: "caption" },
    );
    const received: string[] = [];
    await expect(
      (async () => {
        for await (const piece of stream) received.push(piece);
      })(),
    ).rejects.toThrow("boom");
    expect([received, opened]).toEqual([["a"], 1]);
    expect(layer.breakerStates("p")[0]?.state).toBe("open");
  });

  it("says nothing about the target when the consumer stops early", async () => {
    const layer = resilience();
    for await (const piece of streamWithResilience(layer, [target], () => pieces("never", "a", "b"), { operation: "caption" })) {
      expect(piece).toBe("a");
      break;
    }
    expect(layer.inFlight("p/m")).toBe(0);
    expect(layer.breakerStates("p")[0]?.state).toBe("closed");
  });
});
