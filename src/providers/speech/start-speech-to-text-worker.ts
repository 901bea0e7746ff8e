import { startEngineWorker } from "../engine-worker/start-engine-worker.ts";
import type { SpeechToTextOutput, SpeechToTextResident, SpeechToTextTask } from "./speech-to-text-resident.ts";
import type { SpeechToTextWorkerData } from "./speech-to-text-worker.ts";

/**
 * A Moonshine or Whisper loaded in a worker thread of its own. transformers.js copies every
 * decoder step's outputs into new ArrayBuffers (~5 MB a step for the real Moonshine tiny's
 * cross-attention cache), and that external memory forces full garbage collections: on the
 * server's thread they scanned Station's whole heap (~40 % of a request's CPU, dearer while
 * requests are served) and stalled its event loop. The worker's small heap keeps them cheap and
 * off the server's thread.
 */
export async function startSpeechToTextWorker(
  data: SpeechToTextWorkerData,
  onCrash: (error: Error) => void,
): Promise<SpeechToTextResident> {
  const worker = await startEngineWorker<SpeechToTextTask, SpeechToTextOutput>({
    from: import.meta.url,
    module: "speech-to-text-worker",
    workerData: data,
    onCacheReport: () => {},
    onCrash,
  });
  return {
    sizeBytes: data.sizeBytes,
    transcribe: (task, signal, onText) => worker.run(task, signal, onText),
    dispose: () => worker.dispose(),
  };
}
