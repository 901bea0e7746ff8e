/**
 * Sampler names Station accepts for image generation (diffusers calls them schedulers). Each
 * adapter maps them to its backend's own spelling, or passes them on as they are.
 */
export type SchedulerName =
  | "euler"
  | "euler_a"
  | "heun"
  | "dpm2"
  | "dpmpp_2s_a"
  | "dpmpp_2m"
  | "dpmpp_2m_v2"
  | "ipndm"
  | "lcm"
  | "ddim"
  | "tcd";

/** Diffusion parameters beyond OpenAI's image API. */
export interface ImageGenerationOptions {
  negativePrompt?: string;
  steps?: number;
  guidanceScale?: number;
  scheduler?: SchedulerName;
  seed?: number;
}

export type ImageOptionName = keyof ImageGenerationOptions;

export interface ImageGenerationRequest {
  model: string;
  prompt: string;
  n?: number;
  /** "<width>x<height>" */
  size?: string;
  options?: ImageGenerationOptions;
  signal?: AbortSignal;
}

export interface ImageGenerationResult {
  images: { data: Uint8Array; mediaType: string }[];
}

/** What a model does with `ImageGenerationOptions`; static, so GET /v1/schedulers can show it without a call. */
export interface ImageParameterSupport {
  /** How options travel: the adapter's name for its wire format ("openai", "diffusers", "sd-cpp"). */
  dialect: string;
  /** Options sent to the backend; the others are dropped (the gateway reports them as ignored). */
  options: readonly ImageOptionName[];
  /**
   * "honoured": the backend is known to apply the scheduler; "passed-through": sent, but the
   * backend may ignore it; "ignored": never sent.
   */
  scheduler: "honoured" | "passed-through" | "ignored";
}

export interface ImageModel {
  readonly id: string;
  /** Absent: only OpenAI's parameters (prompt, n, size) reach the backend. */
  readonly parameters?: ImageParameterSupport;
  generate(request: ImageGenerationRequest): Promise<ImageGenerationResult>;
}
