/** Worker-thread entry for one loaded speech-to-text model (see engine-worker/serve-engine-worker.ts for the thread's life). */
import { workerData } from "node:worker_threads";
import { serveEngineWorker } from "../engine-worker/serve-engine-worker.ts";
import type { SpeechToTextOutput, SpeechToTextResident, SpeechToTextTask } from "./speech-to-text-resident.ts";

export interface SpeechToTextWorkerData {
  /** Which engine loads the directory. */
  runner: "moonshine" | "whisper";
  directory: string;
  sizeBytes: number;
  threads: number;
}

const data = workerData as SpeechToTextWorkerData;
const noCache = { hits: 0, misses: 0, encoderRuns: 0, entries: 0 };

const load = async (): Promise<SpeechToTextResident> => {
  if (data.runner === "whisper") {
    const { loadWhisper } = await import("./load-whisper.ts");
    return loadWhisper(data.directory, data.sizeBytes, data.threads);
  }
  const { loadMoonshine } = await import("./load-moonshine.ts");
  return loadMoonshine(data.directory, data.sizeBytes, data.threads);
};

serveEngineWorker<SpeechToTextTask, SpeechToTextOutput>(
  async () => {
    const engine = await load();
    return { perform: (task, signal, onText) => engine.transcribe(task, signal, onText), dispose: () => engine.dispose() };
  },
  () => noCache,
);
