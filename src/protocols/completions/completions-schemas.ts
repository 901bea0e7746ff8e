import { z } from "zod";

/** POST /v1/completions as `openai.completions.create` and editors' fill-in-the-middle send it. */
export const completionsBodySchema = z.looseObject({
  model: z.string().min(1).optional(),
  prompt: z.union([z.string(), z.array(z.string()).length(1, "Station completes one prompt per request")]),
  suffix: z.string().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(4)]).nullish(),
  max_tokens: z.number().int().min(1).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  seed: z.number().int().nullish(),
  presence_penalty: z.number().nullish(),
  frequency_penalty: z.number().nullish(),
  n: z.literal(1).nullish(),
  echo: z.literal(false, { error: "echo is not supported (Station's models are chat models)" }).nullish(),
  best_of: z.literal(1).nullish(),
  logprobs: z.null().optional(),
  user: z.string().optional(),
});
export type CompletionsBody = z.infer<typeof completionsBodySchema>;
