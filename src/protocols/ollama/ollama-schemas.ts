import { z } from "zod";

/**
 * Request bodies of Ollama's native API as the `ollama` client, Open WebUI, Continue and the
 * other tools around Ollama send them. Objects are loose: Ollama ignores fields it does not know.
 */

const optionsSchema = z.looseObject({
  temperature: z.number().optional(),
  top_p: z.number().optional(),
  top_k: z.number().int().optional(),
  num_predict: z.number().int().optional(),
  num_ctx: z.number().int().positive().optional(),
  stop: z.array(z.string()).optional(),
  seed: z.number().int().optional(),
  presence_penalty: z.number().optional(),
  frequency_penalty: z.number().optional(),
});
export type OllamaOptions = z.infer<typeof optionsSchema>;

const keepAlive = z.union([z.string(), z.number()]).optional();
const format = z.union([z.literal(""), z.literal("json"), z.record(z.string(), z.unknown())]).optional();
const think = z.union([z.boolean(), z.enum(["low", "medium", "high"])]).optional();

const toolCallSchema = z.looseObject({
  id: z.string().optional(),
  function: z.looseObject({ index: z.number().int().optional(), name: z.string().min(1), arguments: z.record(z.string(), z.unknown()) }),
});

const messageSchema = z.looseObject({
  role: z.enum(["system", "user", "assistant", "tool"]),
  content: z.string().default(""),
  images: z.array(z.string().min(1)).nullish(),
  tool_calls: z.array(toolCallSchema).nullish(),
  tool_name: z.string().optional(),
  tool_call_id: z.string().optional(),
  thinking: z.string().optional(),
});
export type OllamaMessage = z.infer<typeof messageSchema>;

const toolSchema = z.looseObject({
  type: z.literal("function").default("function"),
  function: z.looseObject({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});

const modelName = z.string().min(1);

export const ollamaChatBodySchema = z.looseObject({
  model: modelName,
  messages: z.array(messageSchema).default([]),
  tools: z.array(toolSchema).nullish(),
  format,
  options: optionsSchema.optional(),
  stream: z.boolean().optional(),
  keep_alive: keepAlive,
  think,
});
export type OllamaChatBody = z.infer<typeof ollamaChatBodySchema>;

export const ollamaGenerateBodySchema = z.looseObject({
  model: modelName,
  prompt: z.string().default(""),
  suffix: z.string().optional(),
  system: z.string().optional(),
  template: z.string().optional(),
  images: z.array(z.string().min(1)).nullish(),
  format,
  options: optionsSchema.optional(),
  stream: z.boolean().optional(),
  raw: z.boolean().optional(),
  keep_alive: keepAlive,
  context: z.array(z.number().int()).optional(),
  think,
});
export type OllamaGenerateBody = z.infer<typeof ollamaGenerateBodySchema>;

export const ollamaEmbedBodySchema = z.looseObject({
  model: modelName,
  input: z.union([z.string(), z.array(z.string()).min(1)]),
  truncate: z.boolean().optional(),
  dimensions: z.number().int().positive().optional(),
  options: optionsSchema.optional(),
  keep_alive: keepAlive,
});

export const ollamaEmbeddingsBodySchema = z.looseObject({
  model: modelName,
  prompt: z.string(),
  options: optionsSchema.optional(),
  keep_alive: keepAlive,
});

/** /api/show, /api/delete and /api/pull name the model as `model` or (older clients) `name`. */
export const ollamaNamedBodySchema = z
  .looseObject({
    model: modelName.optional(),
    name: modelName.optional(),
    stream: z.boolean().optional(),
    insecure: z.boolean().optional(),
  })
  .refine((body) => body.model !== undefined || body.name !== undefined, { message: "model is required", path: ["model"] });

/** The model a named body means: Ollama's `model`, or `name`, which older clients send instead (the schema requires one). */
export function namedModel(body: z.infer<typeof ollamaNamedBodySchema>): string {
  return body.model ?? body.name ?? "";
}

export const ollamaCopyBodySchema = z.looseObject({ source: modelName, destination: modelName });
