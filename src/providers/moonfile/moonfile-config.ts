import { z } from "zod";

const tokenIds = z.array(z.number().int().min(0));
const prefixSuffix = z.object({ prefix: tokenIds, suffix: tokenIds });

/**
 * config.json inside a `.mf`: the end-of-text token and the prompt templates (token ids) of each
 * skill the model was trained for. A skill without a template is one the model cannot do.
 */
export const moonfileConfigSchema = z.looseObject({
  special_tokens: z.looseObject({ eos: z.number().int().min(0) }),
  templates: z.looseObject({
    caption: z.record(z.string(), tokenIds).optional(),
    query: prefixSuffix.optional(),
    detect: prefixSuffix.optional(),
    point: prefixSuffix.optional(),
  }),
});

export type MoonfileConfig = z.infer<typeof moonfileConfigSchema>;

/** The components onnx_vl.py asserts on: every one must be in the archive. */
export const moonfileGraphs = [
  "vision_encoder",
  "vision_projection",
  "text_encoder",
  "text_decoder",
  "size_encoder",
  "size_decoder",
  "coord_encoder",
  "coord_decoder",
] as const;

export type MoonfileGraph = (typeof moonfileGraphs)[number];
