import { startEngineWorker } from "../engine-worker/start-engine-worker.ts";
import type { SpeechToTextResident } from "./load-moonshine.ts";
import type { SpeechToTextTask, SpeechToTextWorkerData } from "./speech-to-text-worker.ts";

/**
 * A Moonshine loaded in a worker thread of its own. transformers.js copies every decoder step's
 * outputs into new ArrayBuffers (~5 MB a step for the real tiny's cross-attention cache), and that
 * external memory forces full garbage collections: on the server's thread they scanned Station's
 * whole heap (~40 % of a request's CPU, dearer while requests are served) and stalled its event
 * loop. The worker's small heap keeps them cheap and off the server's thread.
 */
export async function startSpeechToTextWorker(
  data: SpeechToTextWorkerData,
  onCrash: (error: Error) => void,
): Promise<SpeechToTextResident> {
  const worker = await startEngineWorker<SpeechToTextTask, string>({
    from: import.meta.url,
    module: "speech-to-text-worker",
    workerData: data,
    onCacheReport: () => {},
    onCrash,
  });
  return {
    sizeBytes: data.sizeBytes,
    transcribe: (samples, signal) => worker.run({ samples }, signal),
    dispose: () => worker.dispose(),
  };
}
