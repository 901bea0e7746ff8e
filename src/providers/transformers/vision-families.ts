import type { Capability } from "../spec/provider.ts";

export interface VisionFamily {
  /** config.json model_type values of this family. */
  modelTypes: readonly string[];
  /** ONNX graphs (onnx/<component>.onnx) the engine needs. */
  components: readonly string[];
  capabilities: Capability[];
  /** What the engine does with it: "florence2" and "smolvlm" are run; others are recognised but refused at load. */
  runner: "florence2" | "smolvlm" | undefined;
}

/**
 * The Hugging Face ONNX vision families Station recognises. Florence-2 and SmolVLM run; the others are
 * listed with the reason they cannot be served yet, so a request gets a clear 422, never a crash.
 */
export const visionFamilies: Record<string, VisionFamily> = {
  florence2: {
    modelTypes: ["florence2"],
    components: ["vision_encoder", "embed_tokens", "encoder_model", "decoder_model_merged"],
    capabilities: ["vision", "detect", "point"],
    runner: "florence2",
  },
  moondream2: {
    modelTypes: ["moondream1"],
    components: ["vision_encoder", "embed_tokens", "decoder_model_merged"],
    capabilities: ["vision"],
    runner: undefined,
  },
  smolvlm: {
    modelTypes: ["smolvlm", "idefics3"],
    components: ["vision_encoder", "embed_tokens", "decoder_model_merged"],
    capabilities: ["vision"],
    runner: "smolvlm",
  },
  qwen2vl: {
    modelTypes: ["qwen2_vl"],
    components: ["vision_encoder", "embed_tokens", "decoder_model_merged"],
    capabilities: ["vision"],
    runner: undefined,
  },
};

export function familyOf(modelType: string): [string, VisionFamily] | undefined {
  return Object.entries(visionFamilies).find(([, family]) => family.modelTypes.includes(modelType));
}
