export interface RetrySettings {
  /** Attempts per target, the first one included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest one call may take, every attempt, backoff and fallback target together. */
  deadlineMs: number;
}

/**
 * Delay before retry number `retry` (1 = first retry): exponential backoff with full jitter
 * (AWS Architecture Blog, "Exponential Backoff And Jitter"), or the upstream's Retry-After
 * when it gave one. A Retry-After longer than `maxDelayMs` returns undefined: better to move
 * to the next target (or tell the client) than to hold the request that long.
 */
export function backoffDelay(retry: number, settings: RetrySettings, random: () => number, retryAfterSeconds?: number): number | undefined {
  if (retryAfterSeconds !== undefined) {
    const wait = retryAfterSeconds * 1000;
    return wait > settings.maxDelayMs ? undefined : wait;
  }
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (retry - 1));
  return Math.floor(random() * ceiling);
}
