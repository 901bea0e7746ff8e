/** Worker-thread entry for one loaded SmolVLM (see engine-worker/serve-engine-worker.ts for the thread's life). */
import { workerData } from "node:worker_threads";
import { serveEngineWorker } from "../engine-worker/serve-engine-worker.ts";
import { type LoadSmolVlmOptions, loadSmolVlm, type SmolVlmAnswer, type SmolVlmTask } from "./load-smolvlm.ts";

serveEngineWorker<SmolVlmTask, SmolVlmAnswer>(
  async () => {
    const engine = await loadSmolVlm(workerData as LoadSmolVlmOptions);
    return { perform: (task, signal, onText) => engine.run(task, signal, onText), dispose: () => engine.dispose() };
  },
  // No encoding cache yet: every question runs the vision encoder.
  () => ({ hits: 0, misses: 0, encoderRuns: 0, entries: 0 }),
);
