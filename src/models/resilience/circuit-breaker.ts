export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  failures: number;
  cooldownMs: number;
  now: () => number;
}

export type CircuitState = "closed" | "open" | "half-open";

/**
 * Per-target breaker: `failures` consecutive failures open it; while open, calls skip the
 * target; after `cooldownMs` one probe is let through (half-open): success closes it,
 * failure opens it for another cooldown.
 */
export class CircuitBreaker {
  private consecutiveFailures = 0;
  private openedAt = 0;
  private circuit: CircuitState = "closed";
  private probing = false;

  constructor(private readonly options: CircuitBreakerOptions) {}

  get state(): CircuitState {
    return this.circuit;
  }

  /** May a call go to this target now? Claims the half-open probe when the cooldown is over. */
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

  recordSuccess(): void {
    this.consecutiveFailures = 0;
    this.circuit = "closed";
    this.probing = false;
  }

  recordFailure(): void {
    this.consecutiveFailures++;
    if (this.circuit === "half-open" || this.consecutiveFailures >= this.options.failures) {
      this.circuit = "open";
      this.openedAt = this.options.now();
      this.probing = false;
    }
  }

  /** A call that ended without saying anything about the target's health (e.g. client abort). */
  release(): void {
    if (this.circuit === "half-open") this.probing = false;
  }
}
