import { z } from "zod";

/**
 * Request body of OpenAI's Responses API (POST /v1/responses) as the `openai` client and the
 * Agents SDK send it. Objects are loose: fields Station does not act on (include, truncation,
 * reasoning, user, service_tier) are accepted and echoed where the response object has them.
 */

const inputText = z.looseObject({ type: z.literal("input_text"), text: z.string() });
const outputText = z.looseObject({ type: z.literal("output_text"), text: z.string() });
const inputImage = z.looseObject({
  type: z.literal("input_image"),
  image_url: z.string().min(1).nullish(),
  file_id: z.string().nullish(),
  detail: z.string().optional(),
});
const refusal = z.looseObject({ type: z.literal("refusal"), refusal: z.string() });
const contentPart = z.union([inputText, outputText, inputImage, refusal]);

const messageItem = z.looseObject({
  type: z.literal("message").optional(),
  id: z.string().optional(),
  role: z.enum(["user", "assistant", "system", "developer"]),
  content: z.union([z.string(), z.array(contentPart)]),
});
const functionCallItem = z.looseObject({
  type: z.literal("function_call"),
  id: z.string().optional(),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
});
const functionCallOutputItem = z.looseObject({
  type: z.literal("function_call_output"),
  id: z.string().optional(),
  call_id: z.string().min(1),
  output: z.union([z.string(), z.array(z.union([inputText, inputImage]))]),
});
/** Reasoning items a client sends back are the model's own; they are accepted and not re-sent. */
const reasoningItem = z.looseObject({ type: z.literal("reasoning") });

export const responseInputItemSchema = z.union([messageItem, functionCallItem, functionCallOutputItem, reasoningItem]);
export type ResponseInputItem = z.infer<typeof responseInputItemSchema>;

const functionTool = z.looseObject({
  type: z.literal("function"),
  name: z.string().min(1),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});

const textFormat = z.union([
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    name: z.string().optional(),
    schema: z.record(z.string(), z.unknown()),
    strict: z.boolean().nullish(),
  }),
]);

export const responsesBodySchema = z.looseObject({
  model: z.string().min(1).optional(),
  input: z.union([z.string(), z.array(responseInputItemSchema)]),
  instructions: z.string().nullish(),
  previous_response_id: z.string().min(1).nullish(),
  store: z.boolean().nullish(),
  stream: z.boolean().nullish(),
  tools: z.array(functionTool).optional(),
  tool_choice: z
    .union([z.enum(["auto", "none", "required"]), z.looseObject({ type: z.literal("function"), name: z.string().min(1) })])
    .optional(),
  parallel_tool_calls: z.boolean().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  max_output_tokens: z.number().int().min(1).nullish(),
  text: z.looseObject({ format: textFormat.optional() }).optional(),
  metadata: z.record(z.string(), z.string()).nullish(),
});
export type ResponsesBody = z.infer<typeof responsesBodySchema>;

export const inputItemsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).optional(),
  order: z.enum(["asc", "desc"]).optional(),
  after: z.string().optional(),
  before: z.string().optional(),
  "include[]": z.unknown().optional(),
  include: z.unknown().optional(),
});
