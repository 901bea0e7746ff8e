import type { BoundingBox, Point } from "../spec/vision-model.ts";
import type { MoonfileAnswer } from "./load-moonfile.ts";
import type { MoonfileIndex } from "./moonfile-archive.ts";

/** What a `.mf` worker thread is started with (worker_threads workerData). */
export interface MoonfileWorkerData {
  path: string;
  index: MoonfileIndex;
  threads: number;
  encodeCacheEntries: number;
  encodeCacheBytes: number;
}

interface WorkerTaskBase {
  image: { data: Uint8Array; mediaType: string };
  contentHash: string;
}

/** A task as it crosses the thread boundary: no signal, no callback; `stream` asks for text messages. */
export type MoonfileWorkerTask =
  | (WorkerTaskBase & { skill: "caption"; length: string; maxTokens: number; stream: boolean })
  | (WorkerTaskBase & { skill: "query"; question: string; maxTokens: number; stream: boolean })
  | (WorkerTaskBase & { skill: "detect" | "point"; object: string });

export type MoonfileWorkerResult = MoonfileAnswer | BoundingBox[] | Point[];

/** Encoding-cache counters since the worker's previous report (entries: the current count). */
export interface MoonfileCacheReport {
  hits: number;
  misses: number;
  encoderRuns: number;
  entries: number;
}

export type ToMoonfileWorker =
  | { type: "run"; id: number; task: MoonfileWorkerTask }
  | { type: "abort"; id: number }
  /** Sent only when no run is in flight: the worker releases its sessions, then ends by itself. */
  | { type: "dispose" };

export type FromMoonfileWorker =
  | { type: "ready" }
  | { type: "load-failed"; message: string }
  | { type: "text"; id: number; text: string }
  | { type: "done"; id: number; result: MoonfileWorkerResult; cache: MoonfileCacheReport }
  | { type: "failed"; id: number; message: string; cache: MoonfileCacheReport };
