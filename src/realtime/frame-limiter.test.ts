import { describe, expect, it } from "vitest";
import { createFrameLimiter } from "./frame-limiter.ts";

function manualClock(start = 0) {
  let now = start;
  return { clock: () => now, advance: (ms: number) => (now += ms) };
}

describe("createFrameLimiter", () => {
  it("accepts a burst, then drops until a token refills", () => {
    const time = manualClock();
    const limiter = createFrameLimiter({ framesPerSecond: 2, burst: 2, clock: time.clock });
    expect(limiter.take()).toEqual({ accepted: true });
    expect(limiter.take()).toEqual({ accepted: true });
    expect(limiter.take()).toEqual({ accepted: false, retryAfterMs: 500 });
    time.advance(200);
    expect(limiter.take()).toEqual({ accepted: false, retryAfterMs: 300 });
    time.advance(300);
    expect(limiter.take()).toEqual({ accepted: true });
    expect(limiter.take().accepted).toBe(false);
  });

  it("refills a whole token from elapsed time added up in pieces (no float drift)", () => {
    const time = manualClock();
    const limiter = createFrameLimiter({ framesPerSecond: 1, burst: 1, clock: time.clock });
    expect(limiter.take().accepted).toBe(true);
    time.advance(999);
    expect(limiter.take()).toEqual({ accepted: false, retryAfterMs: 1 });
    time.advance(1);
    expect(limiter.take().accepted).toBe(true);
  });

  it("holds a 30 fps stream to the configured rate", () => {
    const time = manualClock();
    const limiter = createFrameLimiter({ framesPerSecond: 1, burst: 1, clock: time.clock });
    let accepted = 0;
    for (let frame = 0; frame < 300; frame++) {
      if (limiter.take().accepted) accepted++;
      time.advance(1000 / 30);
    }
    // 10 seconds of video: one frame a second (the first is free).
    expect(accepted).toBe(10);
  });

  it("never banks more than the burst during a long pause, and ignores a clock going backwards", () => {
    const time = manualClock(10_000);
    const limiter = createFrameLimiter({ framesPerSecond: 10, burst: 3, clock: time.clock });
    time.advance(60_000);
    expect([limiter.take(), limiter.take(), limiter.take(), limiter.take()].map((decision) => decision.accepted)).toEqual([
      true,
      true,
      true,
      false,
    ]);
    time.advance(-5_000);
    expect(limiter.take().accepted).toBe(false);
  });
});
