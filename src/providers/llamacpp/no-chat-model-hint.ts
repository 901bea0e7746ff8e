import type { ModelInfo } from "../spec/index.ts";

/** A small instruct model that runs well on a laptop CPU (~400 MB, Q4_K_M). */
export const recommendedModelUri = "hf:Qwen/Qwen2.5-0.5B-Instruct-GGUF/qwen2.5-0.5b-instruct-q4_k_m.gguf";

/** The exact command that gets a first chat model, when none is available (start-up log, CLI, /health). */
export function noChatModelHint(models: ModelInfo[]): string | undefined {
  if (models.some((model) => model.capabilities.includes("chat"))) return undefined;
  return `No chat model is available. Download one with: bin/station pull ${recommendedModelUri} (it lands in <dataDir>/models and is served as local/qwen2.5-0.5b-instruct-q4_k_m), or add a provider (LM Studio, Ollama, OpenAI) to the config.`;
}
