import type { Florence2Task } from "./load-florence2.ts";
import type { OnnxDtype } from "./onnx-dtypes.ts";

/** What a Florence-2 worker is started with (worker_threads workerData). */
export interface Florence2WorkerData {
  directory: string;
  dtypes: Record<string, OnnxDtype>;
  threads: number;
  encodeCacheEntries: number;
}

/** A task as it crosses the thread boundary (engine-worker/ carries the signal and the text stream). */
export type Florence2WorkerTask = Omit<Florence2Task, "signal" | "onText">;
