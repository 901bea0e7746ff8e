/** Delay before retry number `attempt` (1 = first retry): base · 2^(attempt-1), capped. */
export type Backoff = (attempt: number) => number;

export function exponentialBackoff(options: { baseMs: number; maxMs: number }): Backoff {
  return (attempt) => Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
}
