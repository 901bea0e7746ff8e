import type { ChatMessage, ChatRequest, ContentPart, ToolChoice } from "../providers/spec/index.ts";
import type { ChatCompletionBody, OpenAiChatMessage } from "./openai-schemas.ts";

/** An image already fetched and checked, keyed by the part that carried it. */
export type InlinedImages = Map<object, { data: Uint8Array; mediaType: string; url?: string }>;

const knownFields = new Set([
  "model",
  "messages",
  "stream",
  "stream_options",
  "tools",
  "tool_choice",
  "temperature",
  "top_p",
  "top_k",
  "max_tokens",
  "max_completion_tokens",
  "stop",
  "seed",
  "presence_penalty",
  "frequency_penalty",
  "n",
  "response_format",
  "user",
  "parallel_tool_calls",
  "logprobs",
  "top_logprobs",
  "logit_bias",
  "metadata",
  "store",
]);

/** OpenAI chat body → provider-neutral ChatRequest (for adapters that do not speak OpenAI). */
export function toChatRequest(
  body: ChatCompletionBody,
  modelName: string,
  images: InlinedImages,
  signal: AbortSignal | undefined,
): ChatRequest {
  const request: ChatRequest = { model: modelName, messages: body.messages.map((message) => toMessage(message, images)) };
  if (body.tools !== undefined && body.tools.length > 0) {
    request.tools = body.tools.map((tool) => ({
      name: tool.function.name,
      ...(tool.function.description === undefined ? {} : { description: tool.function.description }),
      parameters: tool.function.parameters ?? { type: "object", properties: {} },
    }));
  }
  if (body.tool_choice !== undefined) request.toolChoice = toToolChoice(body.tool_choice);
  if (body.temperature != null) request.temperature = body.temperature;
  if (body.top_p != null) request.topP = body.top_p;
  if (body.top_k != null) request.topK = body.top_k;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (maxTokens != null) request.maxTokens = maxTokens;
  if (body.stop != null) request.stop = typeof body.stop === "string" ? [body.stop] : body.stop;
  if (body.seed != null) request.seed = body.seed;
  if (body.presence_penalty != null) request.presencePenalty = body.presence_penalty;
  if (body.frequency_penalty != null) request.frequencyPenalty = body.frequency_penalty;
  const format = body.response_format;
  if (format !== undefined) {
    request.responseFormat =
      format.type === "json_schema"
        ? {
            type: "json_schema",
            schema: (format.json_schema as { schema?: Record<string, unknown> }).schema ?? {},
            ...(format.json_schema.name === undefined ? {} : { name: format.json_schema.name }),
            ...(format.json_schema.strict == null ? {} : { strict: format.json_schema.strict }),
          }
        : { type: format.type };
  }
  // Unknown top-level fields are vendor options (Ollama's `options`/`keep_alive`, OpenRouter's `provider`).
  const extra = Object.fromEntries(Object.entries(body).filter(([key]) => !knownFields.has(key)));
  if (Object.keys(extra).length > 0) request.providerOptions = extra;
  if (signal !== undefined) request.signal = signal;
  return request;
}

function toMessage(message: OpenAiChatMessage, images: InlinedImages): ChatMessage {
  const role = message.role === "developer" ? "system" : message.role === "function" ? "tool" : message.role;
  const result: ChatMessage = { role, content: toContent(message.content, images) };
  if (message.tool_calls !== undefined && message.tool_calls.length > 0) {
    result.toolCalls = message.tool_calls.map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments }));
  }
  if (message.tool_call_id !== undefined) result.toolCallId = message.tool_call_id;
  if (message.name !== undefined) result.name = message.name;
  return result;
}

function toContent(content: OpenAiChatMessage["content"], images: InlinedImages): string | ContentPart[] {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  const parts: ContentPart[] = [];
  for (const part of content) {
    if (part.type === "text") parts.push({ type: "text", text: String((part as { text: string }).text) });
    const image = images.get(part);
    if (image !== undefined) parts.push({ type: "image", ...image });
  }
  return parts;
}

function toToolChoice(choice: NonNullable<ChatCompletionBody["tool_choice"]>): ToolChoice {
  return typeof choice === "string" ? choice : { name: choice.function.name };
}
