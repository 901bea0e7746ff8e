import { describe, expect, it } from "vitest";
import { StationError } from "../../errors/station-error.ts";
import { UpstreamError } from "../../errors/upstream-error.ts";
import type { Provider } from "../../providers/spec/index.ts";
import type { ModelTarget } from "./model-target.ts";
import { Resilience } from "./resilience.ts";

const provider = (id: string): Provider => ({ id, type: "test", listModels: async () => [], health: async () => ({ status: "ok" }) });
const target = (providerId: string): ModelTarget => ({ id: `${providerId}/m`, provider: provider(providerId), modelName: "m" });
const failure = (status?: number, retryAfterSeconds?: number): UpstreamError =>
  new UpstreamError({
    message: "boom",
    provider: "x",
    statusCode: status,
    isRetryable: status === undefined || status >= 500 || status === 429,
    retryAfterSeconds,
  });

function harness(options: { attempts?: number; failures?: number; cooldownMs?: number } = {}) {
  let clock = 1_000;
  const sleeps: number[] = [];
  const resilience = new Resilience({
    settingsFor: () => ({
      retry: { attempts: options.attempts ?? 3, baseDelayMs: 100, maxDelayMs: 5_000 },
      cooldown: { failures: options.failures ?? 3, cooldownMs: options.cooldownMs ?? 5_000 },
    }),
    now: () => clock,
    random: () => 0.5,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
  return {
    resilience,
    sleeps,
    advance: (ms: number) => {
      clock += ms;
    },
  };
}

/** An attempt function that fails with the given errors in order, then answers with the target id. */
function script(...errors: (Error | undefined)[]) {
  const calls: string[] = [];
  const attempt = async (t: ModelTarget): Promise<string> => {
    calls.push(t.id);
    const error = errors.shift();
    if (error !== undefined) throw error;
    return t.id;
  };
  return { calls, attempt };
}

describe("Resilience", () => {
  it("retries retryable failures with exponential backoff and full jitter", async () => {
    const { resilience, sleeps } = harness();
    const { calls, attempt } = script(failure(500), failure());
    const delivered = await resilience.call([target("a")], attempt, { operation: "chat" });
    delivered.done();
    expect(delivered.value).toBe("a/m");
    expect(calls).toEqual(["a/m", "a/m", "a/m"]);
    // random() = 0.5 of min(max, base * 2^(retry-1)): 50 then 100.
    expect(sleeps).toEqual([50, 100]);
  });

  it("waits exactly Retry-After when the upstream gives one, and moves on when it is too long", async () => {
    const { resilience, sleeps } = harness();
    const first = script(failure(429, 2));
    (await resilience.call([target("a")], first.attempt, { operation: "chat" })).done();
    expect(sleeps).toEqual([2_000]);

    const second = script(failure(429, 60));
    const delivered = await resilience.call([target("b"), target("c")], second.attempt, { operation: "chat" });
    expect(second.calls).toEqual(["b/m", "c/m"]);
    expect(delivered.value).toBe("c/m");
  });

  it("never retries or falls back on a caller's error (4xx)", async () => {
    const { resilience } = harness();
    const { calls, attempt } = script(failure(400));
    await expect(resilience.call([target("a"), target("b")], attempt, { operation: "chat" })).rejects.toMatchObject({ statusCode: 400 });
    expect(calls).toEqual(["a/m"]);
  });

  it("opens the breaker after N failures, skips the target while cooling down, then lets one probe through", async () => {
    const { resilience, advance } = harness({ attempts: 1, failures: 2, cooldownMs: 5_000 });
    const targets = [target("a"), target("b")];
    const run = async (...errors: (Error | undefined)[]) => {
      const { calls, attempt } = script(...errors);
      const delivered = await resilience.call(targets, attempt, { operation: "chat" });
      delivered.done();
      return calls;
    };
    expect(await run(failure(500))).toEqual(["a/m", "b/m"]);
    expect(await run(failure(500))).toEqual(["a/m", "b/m"]);
    // Two failures: a is open and skipped.
    expect(await run()).toEqual(["b/m"]);
    expect(resilience.breakerStates("a")).toEqual([{ targetId: "a/m", state: "open", retryInMs: 5_000 }]);
    advance(5_000);
    // Half-open: one probe; it fails, so a opens again for another cooldown.
    expect(await run(failure(500))).toEqual(["a/m", "b/m"]);
    expect(await run()).toEqual(["b/m"]);
    advance(5_000);
    // The next probe succeeds and closes the breaker.
    expect(await run()).toEqual(["a/m"]);
    expect(await run()).toEqual(["a/m"]);
    expect(resilience.breakerStates("a")[0]?.state).toBe("closed");
  });

  it("answers 503 with Retry-After when every target is cooling down", async () => {
    const { resilience, advance } = harness({ attempts: 1, failures: 1, cooldownMs: 4_000 });
    await resilience.call([target("a")], script(failure(500)).attempt, { operation: "chat" }).catch(() => undefined);
    advance(1_500);
    const error = await resilience.call([target("a")], script().attempt, { operation: "chat" }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(StationError);
    expect(error).toMatchObject({ status: 503, code: "upstream_unavailable", retryAfterSeconds: 3 });
  });

  it("counts a stream that fails after delivery against the target, without retrying it", async () => {
    const { resilience } = harness({ attempts: 3, failures: 1 });
    const { calls, attempt } = script();
    const delivered = await resilience.call([target("a"), target("b")], attempt, { operation: "stream" });
    expect(resilience.inFlight("a/m")).toBe(1);
    delivered.done(new Error("stream died"));
    delivered.done();
    expect(calls).toEqual(["a/m"]);
    expect(resilience.inFlight("a/m")).toBe(0);
    expect(resilience.breakerStates("a")[0]?.state).toBe("open");
  });

  it("stops at once when the caller aborts, without blaming the target", async () => {
    const { resilience } = harness({ failures: 1 });
    const controller = new AbortController();
    const attempt = async (): Promise<string> => {
      controller.abort();
      throw failure();
    };
    const error = await resilience
      .call([target("a"), target("b")], attempt, { operation: "chat", signal: controller.signal })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "client_closed_request" });
    expect(resilience.breakerStates("a")[0]?.state).toBe("closed");
  });
});
