import type { Florence2Answer, Florence2Task } from "./load-florence2.ts";
import type { OnnxDtype } from "./onnx-dtypes.ts";

/** What a Florence-2 worker is started with (worker_threads workerData). */
export interface Florence2WorkerData {
  directory: string;
  dtypes: Record<string, OnnxDtype>;
  threads: number;
  encodeCacheEntries: number;
}

/** A task as it crosses the thread boundary: no signal, no callback; `stream` asks for text messages. */
export type Florence2WorkerTask = Omit<Florence2Task, "signal" | "onText"> & { stream: boolean };

/** Encoding-cache counters since the worker's previous report (entries: the current count). */
export interface EncodingCacheReport {
  hits: number;
  misses: number;
  encoderRuns: number;
  promptHits: number;
  entries: number;
}

export type ToFlorence2Worker =
  | { type: "run"; id: number; task: Florence2WorkerTask }
  | { type: "abort"; id: number }
  /** Sent only when no run is in flight: the worker releases its sessions, then ends by itself. */
  | { type: "dispose" };

export type FromFlorence2Worker =
  | { type: "ready" }
  | { type: "load-failed"; message: string }
  | { type: "text"; id: number; text: string }
  | { type: "done"; id: number; answer: Florence2Answer; cache: EncodingCacheReport }
  | { type: "failed"; id: number; message: string; cache: EncodingCacheReport }
  | { type: "disposed" };
