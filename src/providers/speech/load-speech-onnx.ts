import { AutoTokenizer, env, type PreTrainedModel, type PreTrainedTokenizer } from "@huggingface/transformers";

// Station never lets transformers.js reach the network: models come from `station pull`.
env.allowRemoteModels = false;

interface PretrainedClass<Model> {
  from_pretrained(directory: string, options: Record<string, unknown>): Promise<Model>;
}

export interface LoadedSpeechOnnx<Model> {
  model: Model;
  tokenizer: PreTrainedTokenizer;
  /** Runs `task` after every task queued before it: one inference at a time per model (ONNX Runtime already uses every thread). */
  oneAtATime<T>(task: () => Promise<T>, signal?: AbortSignal): Promise<T>;
}

/**
 * What every local speech engine loads the same way: the ONNX graphs of a transformers.js model
 * class on the CPU (fp32, `threads` intra-op threads, local files only) and its tokenizer; the
 * model is let go again when the tokenizer is missing or broken.
 */
export async function loadSpeechOnnx<Model extends Pick<PreTrainedModel, "dispose">>(
  modelClass: PretrainedClass<Model>,
  directory: string,
  threads: number,
): Promise<LoadedSpeechOnnx<Model>> {
  const model = await modelClass.from_pretrained(directory, {
    dtype: "fp32",
    device: "cpu",
    local_files_only: true,
    session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
  });
  let tokenizer: PreTrainedTokenizer;
  try {
    tokenizer = await AutoTokenizer.from_pretrained(directory, { local_files_only: true });
  } catch (error) {
    await model.dispose();
    throw error;
  }
  let queue: Promise<unknown> = Promise.resolve();
  return {
    model,
    tokenizer,
    oneAtATime(task, signal) {
      const run = queue.then(() => {
        signal?.throwIfAborted();
        return task();
      });
      queue = run.catch(() => {});
      return run;
    },
  };
}
