import { StationError } from "../../errors/station-error.ts";
import { UpstreamError } from "../../errors/upstream-error.ts";
import { Cancellation } from "../../net/cancellation.ts";
import type { GatewayMetrics } from "../../system/metrics/create-gateway-metrics.ts";
import { abortedError } from "./aborted-error.ts";
import { backoffDelay, type RetrySettings } from "./backoff-delay.ts";
import { CircuitBreaker, type CircuitBreakerSettings } from "./circuit-breaker.ts";
import { deadlineExceeded } from "./deadline-exceeded.ts";
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
}

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

  constructor(private readonly options: ResilienceOptions) {
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? abortableSleep;
  }

  async call<T>(
    targets: readonly ModelTarget[],
    attempt: (target: ModelTarget, remainingMs: number) => Promise<T>,
    options: CallOptions,
  ): Promise<Delivered<T>> {
    const { signal, operation } = options;
    const metrics = this.options.metrics;
    let lastError: unknown;
    // One deadline for the whole call, every attempt and target included: the first target's.
    const first = targets[0];
    const deadlineMs = first === undefined ? 0 : this.options.settingsFor(first.provider.id).retry.deadlineMs;
    const deadline = this.now() + deadlineMs;
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
        if (signal?.aborted) {
          breaker.release(acquired);
          throw abortedError(signal);
        }
        const remainingMs = deadline - this.now();
        if (remainingMs <= 0) {
          breaker.release(acquired);
          throw deadlineExceeded(deadlineMs, lastError);
        }
        const started = performance.now();
        countInFlight(this.inFlightCounts, target.id, 1);
        metrics?.callStarted(providerId);
        let value: T;
        try {
          value = await attempt(target, remainingMs);
        } catch (error) {
          countInFlight(this.inFlightCounts, target.id, -1);
          metrics?.callEnded(providerId);
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
          await this.sleep(delay, signal instanceof Cancellation ? signal.signal : signal);
          continue;
        }
        let finished = false;
        const inFlightCounts = this.inFlightCounts;
        return {
          value,
          target,
          done(error?: unknown) {
            if (finished) return;
            finished = true;
            countInFlight(inFlightCounts, target.id, -1);
            metrics?.callEnded(providerId);
            const seconds = (performance.now() - started) / 1000;
            if (error === undefined) {
              breaker.recordSuccess();
              metrics?.recordCall(providerId, operation, "ok", seconds);
            } else if (signal?.aborted) {
              // A stream cut short because its client hung up: a cancel, not a provider error.
              breaker.release(acquired);
              metrics?.recordCall(providerId, operation, "cancelled", seconds);
            } else {
              breaker.recordFailure();
              metrics?.recordCall(providerId, operation, "error", seconds, errorCode(error));
            }
          },
          abandon() {
            if (finished) return;
            finished = true;
            countInFlight(inFlightCounts, target.id, -1);
            metrics?.callEnded(providerId);
            breaker.release(acquired);
            metrics?.recordCall(providerId, operation, "cancelled", (performance.now() - started) / 1000);
          },
        };
      }
      // Every attempt this request had on the target failed: that is one failed request.
      breaker.recordFailure();
    }
    if (lastError !== undefined) throw lastError;
    throw new StationError({ code: "model_not_found", status: 404, message: "No target to call", param: "model" });
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

function countInFlight(counts: Map<string, number>, targetId: string, change: 1 | -1): void {
  counts.set(targetId, (counts.get(targetId) ?? 0) + change);
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
