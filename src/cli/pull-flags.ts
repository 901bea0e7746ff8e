import type { ConfigFlags } from "../config/load-config.ts";

/** Flags of `station pull`, for GGUF files and Hugging Face repositories alike. */
export interface PullFlags extends ConfigFlags {
  sha256?: string;
  dtype?: string;
  dir?: string;
  hfEndpoint?: string;
  progress?: boolean;
}
