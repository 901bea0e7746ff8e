/** Encoding-cache counters since the worker's previous report (entries: the current count). */
export interface EngineCacheReport {
  hits: number;
  misses: number;
  encoderRuns: number;
  /** Engines that also keep the encoder's output per image and prompt: reuses of it. */
  promptHits?: number;
  entries: number;
}

/** Messages to a model's worker thread; a task carries no signal or callback (`stream` asks for text messages). */
export type ToEngineWorker<Task> =
  | { type: "run"; id: number; task: Task; stream: boolean }
  | { type: "abort"; id: number }
  /** Sent only when no run is in flight: the worker releases its sessions, then ends by itself. */
  | { type: "dispose" };

export type FromEngineWorker<Result> =
  | { type: "ready" }
  | { type: "load-failed"; message: string }
  | { type: "text"; id: number; text: string }
  | { type: "done"; id: number; result: Result; cache: EngineCacheReport }
  | { type: "failed"; id: number; message: string; cache: EngineCacheReport };
