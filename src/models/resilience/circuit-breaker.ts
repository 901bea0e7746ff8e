export interface CircuitBreakerSettings {
  /** Share of failed requests (0..1] in the window at or above which the circuit opens. */
  failureRate: number;
  /** Requests the window must hold before its failure rate is judged. */
  minimumCalls: number;
  /** Length of the sliding window, ms. */
  windowMs: number;
  /** How long an open circuit waits before it lets one probe through. */
  cooldownMs: number;
}

export interface CircuitBreakerOptions extends CircuitBreakerSettings {
  now: () => number;
}

export type CircuitState = "closed" | "open" | "half-open";

/** The window is kept in this many buckets: recording is O(1), judging sums ten numbers. */
const bucketCount = 10;

/**
 * Per-target breaker on a failure *rate* over a time-based sliding window with a minimum number
 * of calls (resilience4j's COUNT/TIME_BASED window, LiteLLM's "50 % failing in a minute"). It is
 * fed one outcome per request — after that request's retries on the target — not per attempt:
 * a 30 % flaky upstream retried is a healthy one, and must not be shut off by three unlucky
 * attempts in a row. While open, calls skip the target; after `cooldownMs` one probe is let
 * through (half-open): success closes the circuit with a fresh window, failure re-opens it.
 * Whether an open circuit may still be called (a model's last target) is the caller's choice.
 */
export class CircuitBreaker {
  private readonly epochs = new Float64Array(bucketCount).fill(-1);
  private readonly calls = new Uint32Array(bucketCount);
  private readonly failures = new Uint32Array(bucketCount);
  private readonly bucketMs: number;
  private openedAt = 0;
  private circuit: CircuitState = "closed";
  private probing = false;

  constructor(private readonly options: CircuitBreakerOptions) {
    this.bucketMs = Math.max(1, options.windowMs / bucketCount);
  }

  get state(): CircuitState {
    return this.circuit;
  }

  /**
   * May a call go to this target now? Claims the half-open probe when the cooldown is over.
   * A call that got `true` reports back with recordSuccess, recordFailure or release(true).
   */
  tryAcquire(): boolean {
    if (this.circuit === "closed") return true;
    if (this.circuit === "open") {
      if (this.options.now() - this.openedAt < this.options.cooldownMs) return false;
      this.circuit = "half-open";
      this.probing = false;
    }
    if (this.probing) return false;
    this.probing = true;
    return true;
  }

  /** Milliseconds until the next probe is allowed (0 when calls may go now). */
  retryInMs(): number {
    if (this.circuit !== "open") return 0;
    return Math.max(0, this.openedAt + this.options.cooldownMs - this.options.now());
  }

  /** Requests and failures in the current window (for /health and tests). */
  window(): { calls: number; failures: number } {
    const current = Math.floor(this.options.now() / this.bucketMs);
    let calls = 0;
    let failures = 0;
    for (let index = 0; index < bucketCount; index++) {
      if (current - (this.epochs[index] as number) >= bucketCount) continue;
      calls += this.calls[index] as number;
      failures += this.failures[index] as number;
    }
    return { calls, failures };
  }

  recordSuccess(): void {
    if (this.circuit !== "closed") {
      // A target that answers again starts over: its old failures say nothing about it now.
      this.circuit = "closed";
      this.probing = false;
      this.epochs.fill(-1);
    }
    this.record(false);
  }

  recordFailure(): void {
    this.record(true);
    if (this.circuit === "half-open") {
      this.open();
      return;
    }
    if (this.circuit === "open") return;
    const { calls, failures } = this.window();
    if (calls >= this.options.minimumCalls && failures >= calls * this.options.failureRate) this.open();
  }

  /**
   * A call that ended without saying anything about the target's health (the client went
   * away). `acquired`: whether that call held the half-open probe (tryAcquire gave it true).
   */
  release(acquired: boolean): void {
    if (acquired && this.circuit === "half-open") this.probing = false;
  }

  private open(): void {
    this.circuit = "open";
    this.openedAt = this.options.now();
    this.probing = false;
  }

  private record(failed: boolean): void {
    const epoch = Math.floor(this.options.now() / this.bucketMs);
    const index = epoch % bucketCount;
    if (this.epochs[index] !== epoch) {
      this.epochs[index] = epoch;
      this.calls[index] = 0;
      this.failures[index] = 0;
    }
    this.calls[index] = (this.calls[index] ?? 0) + 1;
    if (failed) this.failures[index] = (this.failures[index] ?? 0) + 1;
  }
}
