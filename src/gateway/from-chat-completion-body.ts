import type { ChatInput, InputMessage, InputPart } from "../chat-core/chat-input.ts";
import type { ToolChoice } from "../providers/spec/index.ts";
import type { ChatCompletionBody, OpenAiChatMessage } from "./openai-schemas.ts";

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

/** OpenAI chat body → the chat core's neutral input (image_url parts as references the core takes in). */
export function fromChatCompletionBody(body: ChatCompletionBody): ChatInput {
  const input: ChatInput = { model: body.model, messages: body.messages.map(toMessage) };
  if (body.tools !== undefined && body.tools.length > 0) {
    input.tools = body.tools.map((tool) => ({
      name: tool.function.name,
      ...(tool.function.description === undefined ? {} : { description: tool.function.description }),
      parameters: tool.function.parameters ?? { type: "object", properties: {} },
    }));
  }
  if (body.tool_choice !== undefined) input.toolChoice = toToolChoice(body.tool_choice);
  if (body.temperature != null) input.temperature = body.temperature;
  if (body.top_p != null) input.topP = body.top_p;
  if (body.top_k != null) input.topK = body.top_k;
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  if (maxTokens != null) input.maxTokens = maxTokens;
  if (body.stop != null) input.stop = typeof body.stop === "string" ? [body.stop] : body.stop;
  if (body.seed != null) input.seed = body.seed;
  if (body.presence_penalty != null) input.presencePenalty = body.presence_penalty;
  if (body.frequency_penalty != null) input.frequencyPenalty = body.frequency_penalty;
  const format = body.response_format;
  if (format !== undefined) {
    input.responseFormat =
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
  let extra: Record<string, unknown> | undefined;
  for (const key in body) {
    if (knownFields.has(key)) continue;
    extra ??= {};
    extra[key] = (body as Record<string, unknown>)[key];
  }
  if (extra !== undefined) input.providerOptions = extra;
  return input;
}

function toMessage(message: OpenAiChatMessage, index: number): InputMessage {
  const role = message.role === "developer" ? "system" : message.role === "function" ? "tool" : message.role;
  const result: InputMessage = { role, content: toContent(message.content, index) };
  if (message.tool_calls !== undefined && message.tool_calls.length > 0) {
    result.toolCalls = message.tool_calls.map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments }));
  }
  if (message.tool_call_id !== undefined) result.toolCallId = message.tool_call_id;
  if (message.name !== undefined) result.name = message.name;
  return result;
}

function toContent(content: OpenAiChatMessage["content"], messageIndex: number): string | InputPart[] {
  if (content === null || content === undefined) return "";
  if (typeof content === "string") return content;
  const parts: InputPart[] = [];
  content.forEach((part, partIndex) => {
    if (part.type === "text") parts.push({ type: "text", text: String((part as { text: string }).text) });
    else if (part.type === "image_url") {
      const holder = part as { image_url: string | { url: string } };
      const url = typeof holder.image_url === "string" ? holder.image_url : holder.image_url.url;
      parts.push({ type: "image-reference", url, param: `messages[${messageIndex}].content[${partIndex}].image_url` });
    }
  });
  return parts;
}

function toToolChoice(choice: NonNullable<ChatCompletionBody["tool_choice"]>): ToolChoice {
  return typeof choice === "string" ? choice : { name: choice.function.name };
}
