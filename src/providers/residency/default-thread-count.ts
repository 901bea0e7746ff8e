import os from "node:os";

/**
 * Threads for one model when the config says 0. On small machines, leaving a core to the
 * event loop (HTTP, SSE encoding, other requests) wins: on 2 cores, 1 thread generated tiny
 * models much faster than 2 (see bench/local). Larger machines keep one core free too.
 */
export function defaultThreadCount(cores = os.availableParallelism()): number {
  if (cores <= 2) return 1;
  return Math.max(1, Math.min(cores - 1, 16));
}
