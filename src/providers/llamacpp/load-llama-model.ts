import type { ChatWrapper, Llama, LlamaContext, LlamaContextSequence, LlamaEmbeddingContext, LlamaModel } from "node-llama-cpp";
import type { Resident } from "../residency/model-residency.ts";
import { createSequencePool, type SequencePool } from "../residency/sequence-pool.ts";

export interface LlamaResident extends Resident {
  readonly llama: Llama;
  readonly model: LlamaModel;
  readonly context: LlamaContext;
  readonly chatWrapper: ChatWrapper;
  readonly sequences: SequencePool<LlamaContextSequence>;
  readonly contextSize: number;
  readonly threads: number;
  /** Embedding vectors, one input at a time through a separate lazily created context. */
  embed(input: string, signal?: AbortSignal): Promise<number[]>;
}

export interface LoadLlamaModelOptions {
  llama: Llama;
  modelId: string;
  filePath: string;
  contextSize: number;
  parallelSequences: number;
  maxQueue: number;
  threads: number;
  gpuLayers: "auto" | number;
}

/** Loads the weights, creates a context with N parallel sequences and resolves the chat template once. */
export async function loadLlamaModel(options: LoadLlamaModelOptions): Promise<LlamaResident> {
  const { llama } = options;
  const model = await llama.loadModel({ modelPath: options.filePath, gpuLayers: options.gpuLayers });
  let context: LlamaContext;
  // Assigned right after the context exists; the dispatch schedule below reads it per token.
  let sequences: SequencePool<LlamaContextSequence> | undefined;
  try {
    context = await model.createContext({
      contextSize: Math.min(options.contextSize, model.trainContextSize || options.contextSize),
      sequences: options.parallelSequences,
      threads: options.threads,
      batching: {
        // node-llama-cpp waits a setImmediate before each decode so that parallel sequences share a
        // batch; with one stream generating that wait is pure latency per token (behind every HTTP
        // callback in the event loop). Dispatch at once when a single sequence is busy.
        dispatchSchedule: (dispatch) => {
          if ((sequences?.busy() ?? 0) <= 1) dispatch();
          else setImmediate(dispatch);
        },
      },
    });
  } catch (error) {
    await model.dispose();
    throw error;
  }
  // Resolving the wrapper parses the GGUF's Jinja template: do it once, not per request.
  const { resolveChatWrapper } = await import("node-llama-cpp");
  const chatWrapper = resolveChatWrapper(model);
  let embeddingContext: Promise<LlamaEmbeddingContext> | undefined;
  let embedQueue: Promise<unknown> = Promise.resolve();

  sequences = createSequencePool({
    size: options.parallelSequences,
    maxQueue: options.maxQueue,
    modelId: options.modelId,
    create: () => context.getSequence(),
  });

  return {
    llama,
    model,
    context,
    chatWrapper,
    contextSize: context.contextSize,
    threads: options.threads,
    sequences,
    get sizeBytes() {
      return model.size + context.stateSize;
    },
    embed(input, signal) {
      const run = async () => {
        signal?.throwIfAborted();
        embeddingContext ??= model.createEmbeddingContext({ contextSize: Math.min(options.contextSize, 2048), threads: options.threads });
        const embedding = await (await embeddingContext).getEmbeddingFor(input);
        return [...embedding.vector];
      };
      const result = embedQueue.then(run, run);
      embedQueue = result.catch(() => undefined);
      return result;
    },
    async dispose() {
      if (embeddingContext !== undefined) await (await embeddingContext.catch(() => undefined))?.dispose();
      await context.dispose();
      await model.dispose();
    },
  };
}
