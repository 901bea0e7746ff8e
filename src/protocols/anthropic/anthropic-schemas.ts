import { z } from "zod";

/**
 * Request bodies of Anthropic's Messages API (POST /v1/messages, /v1/messages/count_tokens), as
 * `@anthropic-ai/sdk` sends them. Objects are loose: the SDK adds fields (cache_control,
 * citations, metadata, service_tier) that change nothing Station does.
 */

const textBlock = z.looseObject({ type: z.literal("text"), text: z.string() });
const imageSource = z.union([
  z.looseObject({ type: z.literal("base64"), media_type: z.string(), data: z.string().min(1) }),
  z.looseObject({ type: z.literal("url"), url: z.string().min(1) }),
]);
const imageBlock = z.looseObject({ type: z.literal("image"), source: imageSource });
const toolUseBlock = z.looseObject({
  type: z.literal("tool_use"),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.unknown(),
});
const toolResultBlock = z.looseObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(z.union([textBlock, imageBlock]))]).optional(),
  is_error: z.boolean().optional(),
});
const thinkingBlock = z.looseObject({ type: z.literal("thinking"), thinking: z.string() });
const redactedThinkingBlock = z.looseObject({ type: z.literal("redacted_thinking") });

export const anthropicBlockSchema = z.union([textBlock, imageBlock, toolUseBlock, toolResultBlock, thinkingBlock, redactedThinkingBlock]);
export type AnthropicBlock = z.infer<typeof anthropicBlockSchema>;

const messageSchema = z.looseObject({
  role: z.enum(["user", "assistant"]),
  content: z.union([z.string(), z.array(anthropicBlockSchema)]),
});
export type AnthropicMessage = z.infer<typeof messageSchema>;

const toolSchema = z.looseObject({
  name: z.string().min(1),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()),
});

const toolChoiceSchema = z.union([
  z.looseObject({ type: z.literal("auto") }),
  z.looseObject({ type: z.literal("any") }),
  z.looseObject({ type: z.literal("none") }),
  z.looseObject({ type: z.literal("tool"), name: z.string().min(1) }),
]);

const countFields = {
  model: z.string().min(1),
  messages: z.array(messageSchema).min(1),
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  tools: z.array(toolSchema).optional(),
  tool_choice: toolChoiceSchema.optional(),
  thinking: z.looseObject({ type: z.string() }).optional(),
};

export const anthropicMessagesBodySchema = z.looseObject({
  ...countFields,
  max_tokens: z.number().int().min(1),
  stop_sequences: z.array(z.string()).optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().min(0).optional(),
  metadata: z.looseObject({}).optional(),
});
export type AnthropicMessagesBody = z.infer<typeof anthropicMessagesBodySchema>;

export const anthropicCountTokensBodySchema = z.looseObject(countFields);
export type AnthropicCountTokensBody = z.infer<typeof anthropicCountTokensBodySchema>;
