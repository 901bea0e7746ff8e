import { getLlama, LlamaChat, type LlamaContext, type LlamaModel } from "node-llama-cpp";

export interface GenerationTiming {
  /** ms from request to the first text chunk. */
  ttftMs: number;
  /** ms from request to the last chunk. */
  totalMs: number;
  completionTokens: number;
  promptTokens: number;
}

export interface DirectEngine {
  generate(prompt: string, maxTokens: number): Promise<GenerationTiming>;
  close(): Promise<void>;
}

/** node-llama-cpp called directly, with the same settings Station's llamacpp provider uses. */
export async function createDirectEngine(options: {
  modelPath: string;
  threads: number;
  contextSize: number;
  sequences: number;
}): Promise<DirectEngine> {
  const llama = await getLlama({ build: "never", gpu: "auto", maxThreads: 0, logLevel: "warn" as never });
  const model: LlamaModel = await llama.loadModel({ modelPath: options.modelPath });
  const context: LlamaContext = await model.createContext({
    contextSize: options.contextSize,
    sequences: options.sequences,
    threads: options.threads,
  });
  const sequence = context.getSequence();
  const chat = new LlamaChat({ contextSequence: sequence, autoDisposeSequence: false });
  return {
    async generate(prompt, maxTokens) {
      const started = performance.now();
      let first: number | undefined;
      let last = started;
      let completionTokens = 0;
      await chat.generateResponse(
        [
          { type: "user", text: prompt },
          { type: "model", response: [] },
        ],
        {
          maxTokens,
          temperature: 0,
          onToken: (tokens) => {
            completionTokens += tokens.length;
          },
          onTextChunk: () => {
            last = performance.now();
            first ??= last;
          },
        },
      );
      return {
        ttftMs: (first ?? last) - started,
        totalMs: last - started,
        completionTokens,
        promptTokens: sequence.contextTokens.length - completionTokens,
      };
    },
    async close() {
      chat.dispose();
      await context.dispose();
      await model.dispose();
    },
  };
}
