import type { Capability } from "../spec/provider.ts";

export interface SpeechFamily {
  /** config.json model_type values of this family. */
  modelTypes: readonly string[];
  /** ONNX graphs (onnx/<component>.onnx) the engine needs. */
  components: readonly string[];
  capabilities: Capability[];
  /** The local-speech engine that runs it; undefined: recognised, not run by this version. */
  runner: "moonshine" | "whisper" | "vits" | undefined;
}

/**
 * The Hugging Face ONNX speech families Station recognises. The local-speech engine loads their
 * graphs in full precision (fp32) only. Whisper's `translate` is per model: multilingual ones
 * only (the provider reads generation_config.json).
 */
export const speechFamilies: Record<string, SpeechFamily> = {
  moonshine: {
    modelTypes: ["moonshine"],
    components: ["encoder_model", "decoder_model_merged"],
    capabilities: ["transcribe"],
    runner: "moonshine",
  },
  vits: { modelTypes: ["vits"], components: ["model"], capabilities: ["speak"], runner: "vits" },
  whisper: {
    modelTypes: ["whisper"],
    components: ["encoder_model", "decoder_model_merged"],
    capabilities: ["transcribe"],
    runner: "whisper",
  },
};

export function speechFamilyOf(modelType: string): [string, SpeechFamily] | undefined {
  return Object.entries(speechFamilies).find(([, family]) => family.modelTypes.includes(modelType));
}

/** model_type values the local-speech engine runs, by what they do. */
export const runnableSpeechTypes = (capability: "transcribe" | "speak"): Set<string> =>
  new Set(
    Object.values(speechFamilies)
      .filter((family) => family.runner !== undefined && family.capabilities.includes(capability))
      .flatMap((family) => family.modelTypes),
  );
