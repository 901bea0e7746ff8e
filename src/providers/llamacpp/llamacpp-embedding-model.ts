import type { ResidencyHandle } from "../residency/model-residency.ts";
import type { EmbeddingModel } from "../spec/index.ts";
import type { LlamaResident } from "./load-llama-model.ts";

export interface LlamaCppEmbeddingModelOptions {
  id: string;
  acquire(): Promise<ResidencyHandle<LlamaResident>>;
}

/** Embeddings from a local GGUF (pooled by llama.cpp as the model defines). */
export function createLlamaCppEmbeddingModel(options: LlamaCppEmbeddingModelOptions): EmbeddingModel {
  return {
    id: options.id,
    async embed(request) {
      const handle = await options.acquire();
      try {
        const embeddings: number[][] = [];
        let promptTokens = 0;
        for (const input of request.input) {
          const vector = await handle.model.embed(input, request.signal);
          embeddings.push(request.dimensions === undefined ? vector : normalise(vector.slice(0, request.dimensions)));
          promptTokens += handle.model.model.tokenize(input).length;
        }
        return { embeddings, usage: { promptTokens, totalTokens: promptTokens } };
      } finally {
        handle.release();
      }
    },
  };
}

/** Truncated embeddings are re-normalised, as OpenAI does for `dimensions`. */
function normalise(vector: number[]): number[] {
  const length = Math.hypot(...vector);
  return length === 0 ? vector : vector.map((value) => value / length);
}
