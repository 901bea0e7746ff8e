/** Worker-thread entry for one loaded Moonshine (see engine-worker/serve-engine-worker.ts for the thread's life). */
import { workerData } from "node:worker_threads";
import { serveEngineWorker } from "../engine-worker/serve-engine-worker.ts";
import { loadMoonshine } from "./load-moonshine.ts";

export interface SpeechToTextWorkerData {
  directory: string;
  sizeBytes: number;
  threads: number;
}

export interface SpeechToTextTask {
  /** 16 kHz mono samples (copied into the worker with the message). */
  samples: Float32Array;
}

const data = workerData as SpeechToTextWorkerData;
const noCache = { hits: 0, misses: 0, encoderRuns: 0, entries: 0 };

serveEngineWorker<SpeechToTextTask, string>(
  async () => {
    const engine = await loadMoonshine(data.directory, data.sizeBytes, data.threads);
    return { perform: (task, signal) => engine.transcribe(task.samples, signal), dispose: () => engine.dispose() };
  },
  () => noCache,
);
