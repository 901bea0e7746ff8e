export interface ImageGenerationRequest {
  model: string;
  prompt: string;
  n?: number;
  size?: string;
  signal?: AbortSignal;
}

export interface ImageGenerationResult {
  images: { data: Uint8Array; mediaType: string }[];
}

export interface ImageModel {
  readonly id: string;
  generate(request: ImageGenerationRequest): Promise<ImageGenerationResult>;
}
