import type { EngineCacheReport } from "../engine-worker/engine-worker-protocol.ts";

/** How the local-vision provider starts any family's workers (the family adds its module). */
export interface LocalWorkerStart<WorkerData extends { threads: number }> {
  modelId: string;
  workerData: WorkerData;
  /** Bytes of one copy of the model. */
  sizeBytes: number;
  threads: number;
  /** Worker threads with the model loaded: requests that run at once. */
  workers: number;
  maxQueue: number;
  /** Encoding-cache counters after every task (metrics), with the index of the worker that ran it. */
  onCacheReport(report: EngineCacheReport, worker: number): void;
  /** A worker ended without being disposed (an error inside it): this resident answers no more. */
  onCrash(error: Error): void;
}
