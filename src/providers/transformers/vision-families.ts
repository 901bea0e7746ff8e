import type { Capability } from "../spec/provider.ts";
import type { ImageTextFamily } from "./load-image-text-model.ts";

export interface VisionFamily {
  /** config.json model_type values of this family. */
  modelTypes: readonly string[];
  /** ONNX graphs (onnx/<component>.onnx) the engine needs. */
  components: readonly string[];
  capabilities: Capability[];
  /** The vision skills it answers (the Moondream API's four, or caption and query only). */
  skills: readonly ("caption" | "query" | "detect" | "point" | "read_text")[];
  /** How the engine runs it: Florence-2's own loop, or transformers.js's image-text-to-text generation per family. */
  runner: "florence2" | ImageTextFamily;
}

/**
 * The Hugging Face ONNX vision families Station runs (a config naming another architecture gets a
 * clear 422). moondream2, SmolVLM and Qwen2-VL answer captions and questions. Florence-2 detects
 * and points with its location tokens, Qwen2-VL with the boxes it writes in text
 * (qwen2vl-grounding.ts); Florence-2 alone reads text (capability `ocr`: its `<OCR_WITH_REGION>`
 * task, lines with boxes). SmolVLM was not trained to ground, and moondream2's detect and point
 * come from its own region decoders, which the ONNX export leaves out (the `.mf` archives have
 * them), so those two do not detect or point here.
 */
export const visionFamilies: Record<string, VisionFamily> = {
  florence2: {
    modelTypes: ["florence2"],
    components: ["vision_encoder", "embed_tokens", "encoder_model", "decoder_model_merged"],
    capabilities: ["vision", "detect", "point", "ocr"],
    skills: ["caption", "query", "detect", "point", "read_text"],
    runner: "florence2",
  },
  moondream2: {
    modelTypes: ["moondream1"],
    components: ["vision_encoder", "embed_tokens", "decoder_model_merged"],
    capabilities: ["vision"],
    skills: ["caption", "query"],
    runner: "moondream2",
  },
  smolvlm: {
    modelTypes: ["smolvlm", "idefics3"],
    components: ["vision_encoder", "embed_tokens", "decoder_model_merged"],
    capabilities: ["vision"],
    skills: ["caption", "query"],
    runner: "smolvlm",
  },
  qwen2vl: {
    modelTypes: ["qwen2_vl"],
    components: ["vision_encoder", "embed_tokens", "decoder_model_merged"],
    capabilities: ["vision", "detect", "point"],
    skills: ["caption", "query", "detect", "point"],
    runner: "qwen2vl",
  },
};

export function familyOf(modelType: string): [string, VisionFamily] | undefined {
  return Object.entries(visionFamilies).find(([, family]) => family.modelTypes.includes(modelType));
}
