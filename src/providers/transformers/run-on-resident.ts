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
}

/**
 * One request on a local vision model: acquires the model, leases one of its workers (bounded:
 * waits in the queue, 503 past it), runs `work`, and releases both. Engine failures that are not
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
    const slot = await resident.slots.acquire(options.signal);
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
