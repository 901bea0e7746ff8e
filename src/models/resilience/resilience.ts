import { StationError } from "../../errors/station-error.ts";
import { UpstreamError } from "../../errors/upstream-error.ts";
import { Cancellation } from "../../net/cancellation.ts";
import type { GatewayMetrics } from "../../system/metrics/create-gateway-metrics.ts";
import { abortedError } from "./aborted-error.ts";
import { backoffDelay, type RetrySettings } from "./backoff-delay.ts";
import { CircuitBreaker, type CircuitBreakerSettings } from "./circuit-breaker.ts";
import { deadlineExceeded } from "./deadline-exceeded.ts";
import { Deadline, DeadlineTimers } from "./deadline-timers.ts";
import type { ModelTarget } from "./model-target.ts";

export interface ResilienceSettings {
  retry: RetrySettings;
  cooldown: CircuitBreakerSettings;
}

export interface ResilienceOptions {
  /** Settings of the provider a target belongs to. */
  settingsFor(providerId: string): ResilienceSettings;
  metrics?: GatewayMetrics | undefined;
  now?: () => number;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Where calls' deadlines wait (tests bring their own clock's). */
  deadlines?: DeadlineTimers;
}

/**
 * One attempt on one target. `remainingMs` is what is left of the call's deadline, for an
 * adapter's own timeout; `cancellation` is cancelled when the caller goes away or the deadline
 * passes: an attempt hands it (or its `signal`) to whatever it waits on.
 */
export type Attempt<T> = (target: ModelTarget, remainingMs: number, cancellation: Cancellation) => Promise<T>;

export interface CallOptions {
  /** "chat", "stream", "embeddings", "images", ...: a metrics label. */
  operation: string;
  /** The caller's cancellation: an AbortSignal, or a Cancellation (the gateway's hot path). */
  signal?: AbortSignal | Cancellation | undefined;
}

/**
 * A call that reached a target. The caller reports how it ended with `done` — at once for a
 * plain call, after the last chunk for a stream — so that a stream dying midway still counts
 * against the target's breaker, and least-busy routing sees the stream as in flight.
 */
export interface Delivered<T> {
  value: T;
  target: ModelTarget;
  /** Idempotent. With an error: the call failed after it started delivering (never retried). */
  done(error?: unknown): void;
  /**
   * The caller stopped before the end (its client went away): says nothing about the target's
   * health, counted as a cancel. Idempotent, and a no-op after `done`.
   */
  abandon(): void;
}

/**
 * The one resilience layer every model call goes through: retries with exponential backoff and
 * full jitter on retryable failures (connection errors, 408/409/429/5xx, honouring Retry-After),
 * fallback across targets in the order given, and a circuit breaker per target fed one outcome
 * per request (after its retries). An open breaker makes a call skip to the next target; the last
 * target is always tried. Retries happen only before `attempt` resolves: once a caller has its
 * value (a stream's first part, a relayed reply) nothing is replayed.
 */
export class Resilience {
  private readonly breakers = new Map<string, CircuitBreaker>();
  private readonly inFlightCounts = new Map<string, number>();
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly deadlines: DeadlineTimers;

  constructor(private readonly options: ResilienceOptions) {
    this.now = options.now ?? Date.now;
    this.deadlines = options.deadlines ?? new DeadlineTimers(this.now);
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? abortableSleep;
  }

  async call<T>(targets: readonly ModelTarget[], attempt: Attempt<T>, options: CallOptions): Promise<Delivered<T>> {
    const { signal, operation } = options;
    const metrics = this.options.metrics;
    let lastError: unknown;
    // One deadline for the whole call, every attempt and target included: the first target's.
    const first = targets[0];
    const deadlineMs = first === undefined ? 0 : this.options.settingsFor(first.provider.id).retry.deadlineMs;
    const deadline = this.now() + deadlineMs;
    // What every attempt is cancelled through: the caller's own Cancellation (the gateway's hot
    // path: nothing made per call; its request is over once the deadline cancels it), else one
    // that follows the caller's AbortSignal. The deadline cancels it, so a hung attempt of any
    // adapter ends there, not at its own timeout.
    const cancellation = signal instanceof Cancellation ? signal : new FollowingCancellation(signal);
    const watch = new CallDeadline(cancellation, deadlineMs);
    if (first !== undefined) this.deadlines.arm(watch, deadlineMs);
    let delivered = false;
    try {
      for (let index = 0; index < targets.length; index++) {
        const target = targets[index] as ModelTarget;
        const settings = this.options.settingsFor(target.provider.id);
        const breaker = this.breakerFor(target.id, settings);
        const acquired = breaker.tryAcquire();
        // An open breaker fails over fast while there is somewhere else to go; a model's last
        // target is still called: refusing it outright would turn a flaky model into a dead one.
        if (!acquired && index < targets.length - 1) continue;
        const providerId = target.provider.id;
        for (let attemptNumber = 1; attemptNumber <= settings.retry.attempts; attemptNumber++) {
          const remainingMs = deadline - this.now();
          if (watch.expired || remainingMs <= 0) {
            breaker.release(acquired);
            throw deadlineExceeded(deadlineMs, lastError);
          }
          if (signal?.aborted) {
            breaker.release(acquired);
            throw abortedError(signal);
          }
          const started = performance.now();
          countInFlight(this.inFlightCounts, target.id, 1);
          metrics?.callStarted(providerId);
          let value: T;
          try {
            value = await attempt(target, remainingMs, cancellation);
          } catch (error) {
            countInFlight(this.inFlightCounts, target.id, -1);
            metrics?.callEnded(providerId);
            // Cut at the deadline: the target did not answer in time. Either the deadline's timer ran
            // first, or the attempt's own timeout, which was what was left of the deadline, did: two
            // timers due at about the same instant on different clocks (undici's ticks every ~0.5 s,
            // and a loaded event loop runs both late), so this must not depend on their order. Read
            // as an ordinary timeout, it would start a retry or fallback with ~0 ms left whose quick
            // answer the client got as a 2xx after the deadline.
            if (watch.expired || isAtDeadline(error)) {
              breaker.recordFailure();
              metrics?.recordCall(providerId, operation, "error", (performance.now() - started) / 1000, "upstream_timeout");
              throw deadlineExceeded(deadlineMs, lastError);
            }
            if (signal?.aborted) {
              // The client went away: not the provider's failure, and nothing learned about it.
              breaker.release(acquired);
              metrics?.recordCall(providerId, operation, "cancelled", (performance.now() - started) / 1000);
              throw abortedError(signal);
            }
            metrics?.recordCall(providerId, operation, "error", (performance.now() - started) / 1000, errorCode(error));
            if (!isRetryable(error)) {
              // The target answered (e.g. a 400): it is alive, the request is at fault.
              breaker.recordSuccess();
              throw error;
            }
            lastError = error;
            if (this.now() >= deadline) {
              breaker.recordFailure();
              throw deadlineExceeded(deadlineMs, error);
            }
            if (attemptNumber === settings.retry.attempts) break;
            const delay = backoffDelay(attemptNumber, settings.retry, this.random, (error as StationError).retryAfterSeconds);
            // A wait that would end past the deadline is not worth starting: on to the next target.
            if (delay === undefined || this.now() + delay >= deadline) break;
            await this.sleep(delay, cancellation.signal);
            continue;
          }
          delivered = true;
          return new DeliveredCall(
            value,
            target,
            acquired,
            breaker,
            this.inFlightCounts,
            metrics,
            operation,
            started,
            cancellation,
            signal,
          );
        }
        // Every attempt this request had on the target failed: that is one failed request.
        breaker.recordFailure();
      }
      if (lastError !== undefined) throw lastError;
      throw new StationError({ code: "model_not_found", status: 404, message: "No target to call", param: "model" });
    } finally {
      this.deadlines.disarm(watch);
      // A delivered stream still reads through the cancellation; it lets go of the caller's
      // signal when the caller reports the end (done / abandon).
      if (!delivered && cancellation instanceof FollowingCancellation) cancellation.release();
    }
  }

  /** Calls to a target in flight right now (least-busy routing reads this). */
  inFlight(targetId: string): number {
    return this.inFlightCounts.get(targetId) ?? 0;
  }

  /** Breaker states of one provider's targets, for /health. */
  breakerStates(providerId: string): { targetId: string; state: string; retryInMs: number }[] {
    const prefix = `${providerId}/`;
    return [...this.breakers.entries()]
      .filter(([targetId]) => targetId.startsWith(prefix))
      .map(([targetId, breaker]) => ({ targetId, state: breaker.state, retryInMs: breaker.retryInMs() }));
  }

  private breakerFor(targetId: string, settings: ResilienceSettings): CircuitBreaker {
    let breaker = this.breakers.get(targetId);
    if (breaker === undefined) {
      breaker = new CircuitBreaker({ ...settings.cooldown, now: this.now });
      this.breakers.set(targetId, breaker);
    }
    return breaker;
  }
}

/** A call's deadline: cancels the call's attempts when it passes. */
class CallDeadline extends Deadline {
  constructor(
    private readonly cancellation: Cancellation,
    private readonly deadlineMs: number,
  ) {
    super();
  }

  expire(): void {
    this.cancellation.cancel(deadlineExceeded(this.deadlineMs, undefined));
  }
}

/** A Cancellation that follows a caller's AbortSignal (if any) until released. */
class FollowingCancellation extends Cancellation {
  private readonly followed: AbortSignal | undefined;
  private readonly onAbort = (): void => {
    this.cancel(this.followed?.reason);
  };

  constructor(followed: AbortSignal | undefined) {
    super();
    this.followed = followed;
    if (followed === undefined) return;
    if (followed.aborted) this.cancel(followed.reason);
    else followed.addEventListener("abort", this.onAbort, { once: true });
  }

  /** Stops following the caller's signal (a long-lived one must not collect a listener per call). Idempotent. */
  release(): void {
    this.followed?.removeEventListener("abort", this.onAbort);
  }
}

/**
 * A delivered call (see `Delivered`). `done` and `abandon` are methods, not arrow fields: a plain
 * call reports at once and needs no function of its own; a caller that hands them on (a stream's
 * end) binds what it hands.
 */
class DeliveredCall<T> implements Delivered<T> {
  private finished = false;

  constructor(
    readonly value: T,
    readonly target: ModelTarget,
    private readonly acquired: boolean,
    private readonly breaker: CircuitBreaker,
    private readonly inFlightCounts: Map<string, number>,
    private readonly metrics: GatewayMetrics | undefined,
    private readonly operation: string,
    private readonly started: number,
    private readonly cancellation: Cancellation,
    private readonly signal: AbortSignal | Cancellation | undefined,
  ) {}

  done(error?: unknown): void {
    if (!this.finish()) return;
    const providerId = this.target.provider.id;
    const seconds = (performance.now() - this.started) / 1000;
    if (error === undefined) {
      this.breaker.recordSuccess();
      this.metrics?.recordCall(providerId, this.operation, "ok", seconds);
    } else if (this.signal?.aborted) {
      // A stream cut short because its client hung up: a cancel, not a provider error.
      this.breaker.release(this.acquired);
      this.metrics?.recordCall(providerId, this.operation, "cancelled", seconds);
    } else {
      this.breaker.recordFailure();
      this.metrics?.recordCall(providerId, this.operation, "error", seconds, errorCode(error));
    }
  }

  abandon(): void {
    if (!this.finish()) return;
    this.breaker.release(this.acquired);
    this.metrics?.recordCall(this.target.provider.id, this.operation, "cancelled", (performance.now() - this.started) / 1000);
  }

  /** False when the call had already finished. */
  private finish(): boolean {
    if (this.finished) return false;
    this.finished = true;
    countInFlight(this.inFlightCounts, this.target.id, -1);
    this.metrics?.callEnded(this.target.provider.id);
    if (this.cancellation instanceof FollowingCancellation) this.cancellation.release();
    return true;
  }
}

function countInFlight(counts: Map<string, number>, targetId: string, change: 1 | -1): void {
  counts.set(targetId, (counts.get(targetId) ?? 0) + change);
}

/** An attempt's timeout that was the call's remaining time (see `UpstreamError.atDeadline`). */
function isAtDeadline(error: unknown): boolean {
  return error instanceof UpstreamError && error.atDeadline;
}

function isRetryable(error: unknown): boolean {
  return error instanceof StationError ? error.isRetryable : false;
}

function errorCode(error: unknown): string {
  if (error instanceof UpstreamError && error.statusCode !== undefined) return String(error.statusCode);
  if (error instanceof StationError) return error.code;
  return "internal_error";
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
