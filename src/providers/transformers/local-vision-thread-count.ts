import os from "node:os";

/**
 * ONNX Runtime threads per request when the config says 0. ONNX Runtime runs graphs on its own
 * thread pool, never on the event loop, and the loop's share of a vision request (tokenising,
 * picking the next token) is small, so on a 2-core machine both cores go to the model; larger
 * machines keep one core free and stop at 8, past which one request's matrix products gain little.
 */
export function localVisionThreadCount(cores = os.availableParallelism()): number {
  if (cores <= 2) return cores;
  return Math.min(cores - 1, 8);
}
