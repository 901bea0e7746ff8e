import os from "node:os";

/**
 * ONNX Runtime threads per model when the config says 0. The model runs in a worker thread of its
 * own (session.run computes on its calling thread plus the pool), never on the event loop, and the
 * loop's share of a vision request (HTTP, SSE) is small, so on a 2-core machine both cores go to the
 * model (its threads do not spin-wait, so an idle core is handed back at once); larger machines keep
 * one core free and stop at 8, past which one request's matrix products gain little.
 */
export function localVisionThreadCount(cores = os.availableParallelism()): number {
  if (cores <= 2) return cores;
  return Math.min(cores - 1, 8);
}
