import { errors } from "../../errors/errors.ts";
import { StationError } from "../../errors/station-error.ts";
import type { EngineWorker } from "../engine-worker/start-engine-worker.ts";
import type { PooledResident } from "../engine-worker/start-pooled-resident.ts";
import type { ResidencyHandle, Resident } from "../residency/model-residency.ts";

export interface RunOnResidentOptions<Family extends string> {
  modelId: string;
  family: Family;
  /** The model through the residency (loads it on first use; counts a user until release). */
  acquire(): Promise<ResidencyHandle<Resident>>;
  signal: AbortSignal | undefined;
  /** The image's content hash: the worker that last served it is preferred (it holds the encoded image). */
  contentHash?: string;
}

/** Images remembered per model for worker affinity (beyond, the oldest are forgotten). */
const affinityEntries = 1024;

/**
 * One request on a local vision model: acquires the model, leases one of its workers (bounded:
 * waits in the queue, 503 past it; the one that last served the same image if it is free), runs
 * `work`, and releases both. Engine failures that are not
 * Station's own errors become 500s naming the model; an aborted request rethrows as it is.
 */
export async function runOnResident<Family extends string, Task, Result, T>(
  options: RunOnResidentOptions<Family>,
  work: (worker: EngineWorker<Task, Result>, model: PooledResident<Family, Task, Result>) => Promise<T>,
): Promise<T> {
  const handle = await options.acquire();
  try {
    const model = handle.model as Partial<PooledResident<string, Task, Result>>;
    if (model.family !== options.family || model.slots === undefined)
      throw errors.internal(`'${options.modelId}' is loaded as another family (${model.family ?? "unknown"})`);
    const resident = model as PooledResident<Family, Task, Result>;
    const { contentHash } = options;
    const previous = contentHash === undefined ? undefined : resident.lastServed.get(contentHash);
    const slot = await resident.slots.acquire(options.signal, previous === undefined ? undefined : (worker) => worker === previous);
    if (contentHash !== undefined) {
      resident.lastServed.delete(contentHash);
      resident.lastServed.set(contentHash, slot.sequence);
      const oldest = resident.lastServed.keys().next().value;
      if (resident.lastServed.size > affinityEntries && oldest !== undefined) resident.lastServed.delete(oldest);
    }
    try {
      return await work(slot.sequence, resident);
    } finally {
      slot.release();
    }
  } catch (error) {
    if (error instanceof StationError || options.signal?.aborted) throw error;
    throw errors.internal(`The local vision model '${options.modelId}' failed: ${(error as Error).message}`, error);
  } finally {
    handle.release();
  }
}
