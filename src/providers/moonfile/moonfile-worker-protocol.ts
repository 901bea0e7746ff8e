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

/** A task as it crosses the thread boundary (no signal, no callback). */
export type MoonfileWorkerTask =
  | (WorkerTaskBase & { skill: "caption"; length: string; maxTokens: number })
  | (WorkerTaskBase & { skill: "query"; question: string; maxTokens: number })
  | (WorkerTaskBase & { skill: "detect" | "point"; object: string });

export type MoonfileWorkerResult = MoonfileAnswer | BoundingBox[] | Point[];
