const epsilon = 1e-6;

export type FrameDecision = { accepted: true } | { accepted: false; retryAfterMs: number };

export interface FrameLimiter {
  /** Takes one frame's token: accepted, or dropped with how long until the next would pass. */
  take(): FrameDecision;
}

export interface FrameLimiterOptions {
  framesPerSecond: number;
  /** Frames accepted back to back after a pause. */
  burst: number;
  /** Milliseconds from any fixed origin; monotonic by default so wall-clock jumps change nothing. */
  clock?: () => number;
}

/**
 * A token bucket per session. A camera sends 15-30 frames a second; a vision model needs one
 * now and then. Frames beyond the rate are dropped at once rather than queued, so a fast sender
 * costs no memory and never delays the frames that do get through.
 */
export function createFrameLimiter(options: FrameLimiterOptions): FrameLimiter {
  const clock = options.clock ?? (() => performance.now());
  const perMs = options.framesPerSecond / 1000;
  let tokens = options.burst;
  let last = clock();
  return {
    take() {
      const now = clock();
      tokens = Math.min(options.burst, tokens + Math.max(0, now - last) * perMs);
      last = now;
      // The epsilon absorbs float error: 999 ms + 1 ms at 1 frame/s must refill a whole token.
      if (tokens >= 1 - epsilon) {
        tokens = Math.max(0, tokens - 1);
        return { accepted: true };
      }
      return { accepted: false, retryAfterMs: Math.ceil((1 - tokens) / perMs - epsilon) };
    },
  };
}
