import { z } from "zod";

/**
 * Request bodies of the OpenAI-compatible endpoints. Objects are loose: unknown fields are
 * vendor extensions (OpenRouter's `provider`, vLLM's `top_k`, ...) and travel to the upstream.
 */

const imageUrlPart = z.looseObject({
  type: z.literal("image_url"),
  image_url: z.union([z.string(), z.looseObject({ url: z.string(), detail: z.string().optional() })]),
});
const textPart = z.looseObject({ type: z.literal("text"), text: z.string() });
const otherPart = z.looseObject({ type: z.string().refine((type) => type !== "text" && type !== "image_url") });
export const contentPartSchema = z.union([textPart, imageUrlPart, otherPart]);

const toolCallSchema = z.looseObject({
  id: z.string(),
  type: z.string().optional(),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});

export const chatMessageSchema = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
  content: z.union([z.string(), z.array(contentPartSchema), z.null()]).optional(),
  name: z.string().optional(),
  tool_calls: z.array(toolCallSchema).optional(),
  tool_call_id: z.string().optional(),
});

const toolSchema = z.looseObject({
  type: z.literal("function"),
  function: z.looseObject({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});

const responseFormatSchema = z.union([
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    json_schema: z.looseObject({
      name: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

export const chatCompletionBodySchema = z.looseObject({
  model: z.string().min(1).optional(),
  messages: z.array(chatMessageSchema).min(1),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  tools: z.array(toolSchema).optional(),
  tool_choice: z
    .union([
      z.enum(["none", "auto", "required"]),
      z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string() }) }),
    ])
    .optional(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().min(0).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  stop: z.union([z.string(), z.array(z.string()).max(16)]).nullish(),
  seed: z.number().int().nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  n: z.number().int().min(1).max(128).nullish(),
  response_format: responseFormatSchema.optional(),
});

export type ChatCompletionBody = z.infer<typeof chatCompletionBodySchema>;

/**
 * The same contract as JSON Schema, for Ajv on the hot chat route. zod cannot express the
 * "any other part type" refinement in JSON Schema by itself, so it is written in here.
 * A function: converted when the route's validator is first compiled, not at start-up.
 */
export function chatCompletionJsonSchema(): Record<string, unknown> {
  const json = z.toJSONSchema(chatCompletionBodySchema, {
    target: "draft-7",
    io: "input",
    unrepresentable: "any",
    override: (context) => {
      if (context.zodSchema === otherPart) {
        const properties = context.jsonSchema.properties as Record<string, Record<string, unknown>>;
        properties.type = { type: "string", not: { enum: ["text", "image_url"] } };
      }
    },
  }) as Record<string, unknown>;
  delete json.$schema;
  return json;
}
export type OpenAiChatMessage = z.infer<typeof chatMessageSchema>;

export const embeddingsBodySchema = z.looseObject({
  model: z.string().min(1).optional(),
  input: z.union([z.string(), z.array(z.string()).min(1).max(2048), z.array(z.number().int()), z.array(z.array(z.number().int()))]),
  encoding_format: z.enum(["float", "base64"]).optional(),
  dimensions: z.number().int().positive().optional(),
  user: z.string().optional(),
});

export type EmbeddingsBody = z.infer<typeof embeddingsBodySchema>;

export const imageGenerationBodySchema = z.looseObject({
  model: z.string().min(1).optional(),
  prompt: z.string().min(1).max(32_000),
  n: z.number().int().min(1).max(10).nullish(),
  size: z.string().nullish(),
  response_format: z.enum(["url", "b64_json"]).nullish(),
});

export type ImageGenerationBody = z.infer<typeof imageGenerationBodySchema>;
