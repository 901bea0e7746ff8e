import type { Capability } from "../spec/index.ts";

const embeddingNames = /embed|bge-|e5-|gte-|minilm|nomic-embed/i;
const visionNames =
  /vision|(^|[-_/])vl([-_.]|$)|llava|pixtral|moondream|gpt-4o|gpt-4\.1|gpt-5|gemma-?3|qwen2\.5-vl|qwen3-vl|minicpm-v|smolvlm|idefics|claude-3|claude-(sonnet|opus|haiku)|gemini/i;
const transcribeNames = /whisper|transcribe|moonshine|parakeet|(^|[-_/])stt([-_.]|$)/i;
const speakNames = /(^|[-_/])tts([-_.]|$)|-tts|kokoro|piper|speecht5|(^|[-_/])vits|bark/i;
const imageNames = /dall-e|gpt-image|stable-diffusion|sdxl|flux/i;

/**
 * Capabilities from a model's name, for servers whose `/models` says nothing about them
 * (OpenAI, vLLM, llama.cpp server). Configured `models:` entries override this guess.
 */
export function guessCapabilities(name: string): Capability[] {
  if (embeddingNames.test(name)) return ["embeddings"];
  if (imageNames.test(name)) return ["images"];
  if (transcribeNames.test(name)) return ["transcribe"];
  if (speakNames.test(name)) return ["speak"];
  return visionNames.test(name) ? ["chat", "tools", "vision"] : ["chat", "tools"];
}
