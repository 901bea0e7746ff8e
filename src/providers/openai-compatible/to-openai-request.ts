import type { ChatMessage, ChatRequest, ContentPart } from "../spec/index.ts";

/** Provider-neutral ChatRequest → OpenAI chat-completions body (images become data: URLs). */
export function toOpenAiRequest(request: ChatRequest, stream: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { model: request.model, messages: request.messages.map(toOpenAiMessage) };
  if (stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      type: "function",
      function: { name: tool.name, description: tool.description, parameters: tool.parameters },
    }));
  }
  if (request.toolChoice !== undefined) {
    body.tool_choice =
      typeof request.toolChoice === "string" ? request.toolChoice : { type: "function", function: { name: request.toolChoice.name } };
  }
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
  if (request.stop !== undefined) body.stop = request.stop;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.presencePenalty !== undefined) body.presence_penalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) body.frequency_penalty = request.frequencyPenalty;
  if (request.responseFormat !== undefined) {
    const format = request.responseFormat;
    body.response_format =
      format.type === "json_schema"
        ? { type: "json_schema", json_schema: { name: format.name ?? "response", schema: format.schema, strict: format.strict } }
        : format;
  }
  // Vendor extras (OpenRouter's `provider`, vLLM's `top_k`, ...) ride along untouched.
  if (request.topK !== undefined) body.top_k = request.topK;
  if (request.providerOptions !== undefined) Object.assign(body, request.providerOptions);
  return body;
}

export function toOpenAiMessage(message: ChatMessage): Record<string, unknown> {
  const result: Record<string, unknown> = { role: message.role, content: toOpenAiContent(message.content) };
  if (message.toolCalls !== undefined && message.toolCalls.length > 0) {
    result.tool_calls = message.toolCalls.map((call) => ({
      id: call.id,
      type: "function",
      function: { name: call.name, arguments: call.arguments },
    }));
    if (message.content === "") result.content = null;
  }
  if (message.toolCallId !== undefined) result.tool_call_id = message.toolCallId;
  if (message.name !== undefined) result.name = message.name;
  return result;
}

function toOpenAiContent(content: string | ContentPart[]): unknown {
  if (typeof content === "string") return content;
  return content.map((part) =>
    part.type === "text"
      ? { type: "text", text: part.text }
      : { type: "image_url", image_url: { url: `data:${part.mediaType};base64,${Buffer.from(part.data).toString("base64")}` } },
  );
}
