import type { Resident } from "../residency/model-residency.ts";
import type { SequencePool } from "../residency/sequence-pool.ts";
import type { EngineWorker } from "./start-engine-worker.ts";
import { type EngineWorkerPoolOptions, startEngineWorkerPool } from "./start-engine-worker-pool.ts";

/** A loaded model of one family: its sessions live in `slots.size` worker threads, one request on each at a time. */
export interface PooledResident<Family extends string, Task, Result> extends Resident {
  readonly family: Family;
  /** ONNX Runtime threads of each worker. */
  readonly threads: number;
  /** Leases a worker per request; past `maxQueue` waiting, 503 busy. */
  readonly slots: SequencePool<EngineWorker<Task, Result>>;
  /**
   * The worker that last served an image, by content hash: each worker keeps its own encoded
   * images, so a request about the same image goes back to it when it is free (encode once).
   */
  readonly lastServed: Map<string, EngineWorker<Task, Result>>;
}

export interface StartPooledResidentOptions<Family extends string> extends EngineWorkerPoolOptions {
  family: Family;
  /** Bytes of one copy of the model: the resident counts one per worker. */
  sizeBytes: number;
  threads: number;
}

/**
 * Loads a model in its worker threads (see start-engine-worker-pool.ts) and resolves once every
 * worker is ready, or rejects with the loader's reason (a corrupt graph is an error, never a crash).
 * Workers are never terminated: dispose interrupts running tasks, waits for them, then asks each
 * worker to release its sessions and end (terminating a worker inside session.run aborts the process).
 */
export async function startPooledResident<Family extends string, Task, Result>(
  options: StartPooledResidentOptions<Family>,
): Promise<PooledResident<Family, Task, Result>> {
  const { family, sizeBytes, threads, ...poolOptions } = options;
  const pool = await startEngineWorkerPool<Task, Result>(poolOptions);
  return {
    family,
    sizeBytes: sizeBytes * pool.workers,
    threads,
    slots: pool.slots,
    lastServed: new Map(),
    dispose: () => pool.dispose(),
  };
}

/** An image's own bytes: a view into a larger buffer (a multipart body) would be copied whole to the worker. */
export function ownImage<Image extends { data: Uint8Array; mediaType: string }>(image: Image): { data: Uint8Array; mediaType: string } {
  const { data } = image;
  return { data: data.byteLength === data.buffer.byteLength ? data : data.slice(), mediaType: image.mediaType };
}
