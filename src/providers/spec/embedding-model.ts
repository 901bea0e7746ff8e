export interface EmbeddingRequest {
  model: string;
  input: string[];
  dimensions?: number;
  signal?: AbortSignal;
}

export interface EmbeddingResult {
  embeddings: number[][];
  usage?: { promptTokens: number; totalTokens: number };
}

export interface EmbeddingModel {
  readonly id: string;
  embed(request: EmbeddingRequest): Promise<EmbeddingResult>;
}
