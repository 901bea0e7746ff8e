import type { EngineCacheReport } from "../engine-worker/engine-worker-protocol.ts";
import { startEngineWorker } from "../engine-worker/start-engine-worker.ts";
import type { Resident } from "../residency/model-residency.ts";
import { createSequencePool, type SequencePool } from "../residency/sequence-pool.ts";
import type { SmolVlmAnswer, SmolVlmTask } from "./load-smolvlm.ts";
import type { SmolVlmWorkerData } from "./smolvlm-worker.ts";

/** A resident SmolVLM: its ONNX sessions live in a worker thread of their own. */
export interface SmolVlmResident extends Resident {
  readonly family: "smolvlm";
  readonly threads: number;
  readonly slots: SequencePool<number>;
  ask(task: SmolVlmTask, signal: AbortSignal | undefined, onText?: (text: string) => void): Promise<SmolVlmAnswer>;
}

export interface StartSmolVlmWorkerOptions {
  modelId: string;
  load: SmolVlmWorkerData;
  sizeBytes: number;
  parallelRequests: number;
  maxQueue: number;
  onCacheReport(report: EngineCacheReport): void;
  onCrash?(error: Error): void;
}

/** Loads the model in a worker thread (smolvlm-worker.ts); a corrupt graph rejects with the loader's reason. */
export async function startSmolVlmWorker(options: StartSmolVlmWorkerOptions): Promise<SmolVlmResident> {
  const worker = await startEngineWorker<SmolVlmTask, SmolVlmAnswer>({
    from: import.meta.url,
    module: "smolvlm-worker",
    workerData: options.load,
    onCacheReport: options.onCacheReport,
    ...(options.onCrash === undefined ? {} : { onCrash: options.onCrash }),
  });
  return {
    family: "smolvlm",
    sizeBytes: options.sizeBytes,
    threads: options.load.threads,
    slots: createSequencePool({ size: options.parallelRequests, maxQueue: options.maxQueue, modelId: options.modelId, create: () => 0 }),
    ask(task, signal, onText) {
      // A view into a larger buffer (a multipart body) would be copied whole: send only the image.
      const data = task.image.data.byteLength === task.image.data.buffer.byteLength ? task.image.data : task.image.data.slice();
      return worker.run({ ...task, image: { data, mediaType: task.image.mediaType } }, signal, onText);
    },
    dispose: () => worker.dispose(),
  };
}
