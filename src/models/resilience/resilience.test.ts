import { describe, expect, it } from "vitest";
import { StationError } from "../../errors/station-error.ts";
import { UpstreamError } from "../../errors/upstream-error.ts";
import type { Provider } from "../../providers/spec/index.ts";
import { DeadlineTimers } from "./deadline-timers.ts";
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

function harness(
  options: { attempts?: number; minimumCalls?: number; failureRate?: number; cooldownMs?: number; deadlineMs?: number } = {},
) {
  let clock = 1_000;
  const sleeps: number[] = [];
  const deadlines = new DeadlineTimers(() => clock);
  const resilience = new Resilience({
    deadlines,
    settingsFor: () => ({
      retry: { attempts: options.attempts ?? 3, baseDelayMs: 100, maxDelayMs: 5_000, deadlineMs: options.deadlineMs ?? 120_000 },
      cooldown: {
        failureRate: options.failureRate ?? 0.5,
        minimumCalls: options.minimumCalls ?? 3,
        windowMs: 60_000,
        cooldownMs: options.cooldownMs ?? 5_000,
      },
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
    /** Lets the clock reach `ms` later and fires what is due, as the timer would. */
    passTime: (ms: number) => {
      clock += ms;
      deadlines.expireDue();
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

  it("opens the breaker on a failure rate over requests, skips the target while cooling down, then lets one probe through", async () => {
    const { resilience, advance } = harness({ attempts: 2, minimumCalls: 4, failureRate: 0.5, cooldownMs: 5_000 });
    const targets = [target("a"), target("b")];
    const run = async (...errors: (Error | undefined)[]) => {
      const { calls, attempt } = script(...errors);
      const delivered = await resilience.call(targets, attempt, { operation: "chat" });
      delivered.done();
      return calls;
    };
    // A failed attempt that its retry rescues is a successful request: the breaker sees none.
    for (let index = 0; index < 6; index++) expect(await run(failure(500))).toEqual(["a/m", "a/m"]);
    expect(resilience.breakerStates("a")[0]?.state).toBe("closed");
    advance(60_000);
    // Two requests that exhaust a's attempts (then go to b), two that succeed: 50 % of 4 opens it.
    expect(await run(failure(500), failure(500))).toEqual(["a/m", "a/m", "b/m"]);
    expect(await run()).toEqual(["a/m"]);
    expect(await run()).toEqual(["a/m"]);
    expect(resilience.breakerStates("a")[0]?.state).toBe("closed");
    expect(await run(failure(500), failure(500))).toEqual(["a/m", "a/m", "b/m"]);
    expect(resilience.breakerStates("a")).toEqual([{ targetId: "a/m", state: "open", retryInMs: 5_000 }]);
    // Open: a is skipped, b answers at once.
    expect(await run()).toEqual(["b/m"]);
    advance(5_000);
    // Half-open: one probe; it fails, so a opens again for another cooldown.
    expect(await run(failure(500), failure(500))).toEqual(["a/m", "a/m", "b/m"]);
    expect(await run()).toEqual(["b/m"]);
    advance(5_000);
    // The next probe succeeds and closes the breaker with a fresh window.
    expect(await run()).toEqual(["a/m"]);
    expect(await run(failure(500), failure(500))).toEqual(["a/m", "a/m", "b/m"]);
    expect(resilience.breakerStates("a")[0]?.state).toBe("closed");
  });

  it("forgets failures older than the window", async () => {
    const { resilience, advance } = harness({ attempts: 1, minimumCalls: 2, failureRate: 1 });
    const targets = [target("a"), target("b")];
    (await resilience.call(targets, script(failure(500)).attempt, { operation: "chat" })).done();
    advance(61_000);
    (await resilience.call(targets, script(failure(500)).attempt, { operation: "chat" })).done();
    expect(resilience.breakerStates("a")[0]?.state).toBe("closed");
    (await resilience.call(targets, script(failure(500)).attempt, { operation: "chat" })).done();
    expect(resilience.breakerStates("a")[0]?.state).toBe("open");
  });

  it("keeps calling a model's last target, with its retries, while its breaker is open", async () => {
    const { resilience } = harness({ attempts: 3, minimumCalls: 1, cooldownMs: 60_000 });
    const lone = [target("a")];
    const first = script(failure(500), failure(500), failure(500));
    await expect(resilience.call(lone, first.attempt, { operation: "chat" })).rejects.toMatchObject({ statusCode: 500 });
    expect(resilience.breakerStates("a")[0]?.state).toBe("open");
    // Open, and nowhere else to go: the call still goes out and its retries still help.
    const second = script(failure(500), failure(500));
    const delivered = await resilience.call(lone, second.attempt, { operation: "chat" });
    delivered.done();
    expect(second.calls).toEqual(["a/m", "a/m", "a/m"]);
    expect(resilience.breakerStates("a")[0]?.state).toBe("closed");
  });

  it("tries the last target of a route whose every breaker is open", async () => {
    const { resilience } = harness({ attempts: 1, minimumCalls: 1, cooldownMs: 60_000 });
    const targets = [target("a"), target("b")];
    await resilience.call(targets, script(failure(500), failure(500)).attempt, { operation: "chat" }).catch(() => undefined);
    expect(resilience.breakerStates("a")[0]?.state).toBe("open");
    expect(resilience.breakerStates("b")[0]?.state).toBe("open");
    const { calls, attempt } = script();
    (await resilience.call(targets, attempt, { operation: "chat" })).done();
    expect(calls).toEqual(["b/m"]);
  });

  it("gives each attempt what is left of the call's deadline, and answers 504 once it has passed", async () => {
    const { resilience, advance } = harness({ attempts: 5, deadlineMs: 1_000 });
    const budgets: number[] = [];
    const attempt = async (_target: ModelTarget, remainingMs: number): Promise<string> => {
      budgets.push(remainingMs);
      advance(400);
      throw failure(504);
    };
    const error = await resilience.call([target("a"), target("b")], attempt, { operation: "chat" }).catch((caught: unknown) => caught);
    expect(budgets).toEqual([1_000, 600, 200]);
    expect(error).toBeInstanceOf(StationError);
    expect(error).toMatchObject({
      status: 504,
      code: "upstream_timeout",
      message: expect.stringMatching(/retry\.deadlineMs.*last error: boom/),
    });
  });

  it("cancels an attempt still running at the deadline, whatever it waits on, and answers 504 counted against the target", async () => {
    const { resilience, passTime } = harness({ attempts: 3, deadlineMs: 1_000, minimumCalls: 1 });
    let attempts = 0;
    // A hung upstream: it answers only by failing once the call's cancellation says so.
    const attempt = (_target: ModelTarget, _remainingMs: number, cancellation: { onCancel(callback: () => void): void }) =>
      new Promise<string>((_resolve, reject) => {
        attempts++;
        cancellation.onCancel(() => reject(new Error("aborted")));
      });
    const controller = new AbortController();
    const pending = resilience
      .call([target("a")], attempt, { operation: "chat", signal: controller.signal })
      .catch((caught: unknown) => caught);
    passTime(999);
    passTime(1);
    const error = await pending;
    expect(error).toMatchObject({ status: 504, code: "upstream_timeout" });
    expect(attempts).toBe(1);
    expect(resilience.inFlight("a/m")).toBe(0);
    expect(resilience.breakerStates("a")[0]?.state).toBe("open");
    // The caller's own signal is left alone (the deadline is the call's, not the caller's).
    expect(controller.signal.aborted).toBe(false);
  });

  it("answers 504 when an attempt's own timeout, the time left, fires before the deadline's timer: no retry or fallback", async () => {
    // Both are due at the deadline, on different clocks (undici's fast timers tick every ~0.5 s;
    // a loaded event loop runs both late): here the attempt's runs first, with the call's clock
    // still short of the deadline. A retry would have started with ~0 ms left, and its quick
    // answer reached the client as a 2xx after the deadline.
    const { resilience } = harness({ attempts: 3, deadlineMs: 1_000, minimumCalls: 1 });
    const timedOut = new UpstreamError({
      message: "did not answer in time",
      provider: "a",
      isRetryable: true,
      timedOut: true,
      atDeadline: true,
    });
    const { calls, attempt } = script(timedOut);
    const error = await resilience.call([target("a"), target("b")], attempt, { operation: "stream" }).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 504, code: "upstream_timeout", message: expect.stringMatching(/retry\.deadlineMs/) });
    expect(calls).toEqual(["a/m"]);
    expect(resilience.inFlight("a/m")).toBe(0);
    expect(resilience.breakerStates("a")[0]?.state).toBe("open");
  });

  it("still retries a provider's own timeout that came before the deadline", async () => {
    const { resilience } = harness({ attempts: 3, deadlineMs: 1_000 });
    const timedOut = new UpstreamError({ message: "did not answer in time", provider: "a", isRetryable: true, timedOut: true });
    const { calls, attempt } = script(timedOut);
    (await resilience.call([target("a")], attempt, { operation: "chat" })).done();
    expect(calls).toEqual(["a/m", "a/m"]);
  });

  it("leaves a call that delivered before its deadline alone when the deadline passes", async () => {
    const { resilience, passTime } = harness({ deadlineMs: 1_000 });
    let cancelled = false;
    const delivered = await resilience.call(
      [target("a")],
      async (_target, _remainingMs, cancellation) => {
        cancellation.onCancel(() => {
          cancelled = true;
        });
        return "streaming";
      },
      { operation: "stream" },
    );
    passTime(5_000);
    expect(cancelled).toBe(false);
    delivered.done();
  });

  it("counts a stream that fails after delivery against the target, without retrying it", async () => {
    const { resilience } = harness({ attempts: 3, minimumCalls: 1 });
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
    const { resilience } = harness({ minimumCalls: 1 });
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
