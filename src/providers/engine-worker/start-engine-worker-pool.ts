import { createSequencePool, type SequencePool } from "../residency/sequence-pool.ts";
import type { EngineCacheReport } from "./engine-worker-protocol.ts";
import { type EngineWorker, type StartEngineWorkerOptions, startEngineWorker } from "./start-engine-worker.ts";

export interface EngineWorkerPoolOptions extends Omit<StartEngineWorkerOptions, "onCacheReport"> {
  /** Encoding-cache counters after every task, with the index of the worker that ran it (each keeps its own cache). */
  onCacheReport(report: EngineCacheReport, worker: number): void;
  /** Workers, each with the model loaded: requests that really run at once (the provider's parallelRequests). */
  workers: number;
  /** Requests allowed to wait for a free worker; beyond it 503 busy. */
  maxQueue: number;
  /** For error messages, e.g. "vision/Florence-2-base-ft". */
  modelId: string;
  /** Starts one worker (tests pass a fake; by default the worker thread in `module`). */
  start?(options: StartEngineWorkerOptions): Promise<EngineWorker<unknown, unknown>>;
}

/** One loaded model as N worker threads: a request leases one worker (`slots`) and runs on it. */
export interface EngineWorkerPool<Task, Result> {
  readonly workers: number;
  readonly slots: SequencePool<EngineWorker<Task, Result>>;
  dispose(): Promise<void>;
}

/**
 * Starts `workers` worker threads on the same model, one after another (the first failure — a
 * corrupt graph — disposes those started and rejects with its reason, before more memory is
 * spent). onnxruntime-node's session.run keeps its calling thread, so one worker computes one
 * request at a time; N workers run N requests in parallel, each with its own copy of the
 * sessions (the caller counts N × the model's size against the memory budget).
 */
export async function startEngineWorkerPool<Task, Result>(options: EngineWorkerPoolOptions): Promise<EngineWorkerPool<Task, Result>> {
  const { workers: count, maxQueue, modelId, start, onCacheReport, ...shared } = options;
  const started: EngineWorker<Task, Result>[] = [];
  try {
    for (let index = 0; index < count; index++) {
      const workerOptions = { ...shared, onCacheReport: (report: EngineCacheReport) => onCacheReport(report, index) };
      started.push(
        (start === undefined ? await startEngineWorker<Task, Result>(workerOptions) : await start(workerOptions)) as EngineWorker<
          Task,
          Result
        >,
      );
    }
  } catch (error) {
    await Promise.all(started.map((worker) => worker.dispose().catch(() => undefined)));
    throw error;
  }
  let next = 0;
  return {
    workers: count,
    slots: createSequencePool({ size: count, maxQueue, modelId, create: () => started[next++ % count] as EngineWorker<Task, Result> }),
    async dispose() {
      await Promise.all(started.map((worker) => worker.dispose()));
    },
  };
}
