import type { ChatMessage, ChatRequest } from "../spec/index.ts";

/**
 * ChatRequest → Ollama `/api/chat` body. Images travel as bare base64 (no data: prefix), tool
 * arguments as objects, sampling settings under `options`. `providerOptions.options` (e.g.
 * `num_ctx`) and `providerOptions.keep_alive` pass straight through.
 */
export function toOllamaRequest(request: ChatRequest, modelName: string, stream: boolean): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (request.temperature !== undefined) options.temperature = request.temperature;
  if (request.topP !== undefined) options.top_p = request.topP;
  if (request.topK !== undefined) options.top_k = request.topK;
  if (request.maxTokens !== undefined) options.num_predict = request.maxTokens;
  if (request.stop !== undefined) options.stop = request.stop;
  if (request.seed !== undefined) options.seed = request.seed;
  if (request.presencePenalty !== undefined) options.presence_penalty = request.presencePenalty;
  if (request.frequencyPenalty !== undefined) options.frequency_penalty = request.frequencyPenalty;
  const extra = request.providerOptions ?? {};
  const passedOptions = extra.options;
  if (typeof passedOptions === "object" && passedOptions !== null) Object.assign(options, passedOptions);

  const body: Record<string, unknown> = { model: modelName, messages: request.messages.map(toOllamaMessage), stream };
  if (Object.keys(options).length > 0) body.options = options;
  if (extra.keep_alive !== undefined) body.keep_alive = extra.keep_alive;
  if (extra.think !== undefined) body.think = extra.think;
  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      type: "function",
      function: { name: tool.name, description: tool.description, parameters: tool.parameters },
    }));
  }
  const format = request.responseFormat;
  if (format?.type === "json_object") body.format = "json";
  if (format?.type === "json_schema") body.format = format.schema;
  return body;
}

function toOllamaMessage(message: ChatMessage): Record<string, unknown> {
  const result: Record<string, unknown> = { role: message.role };
  if (typeof message.content === "string") {
    result.content = message.content;
  } else {
    result.content = message.content
      .filter((part) => part.type === "text")
      .map((part) => part.text)
      .join("\n");
    const images = message.content.filter((part) => part.type === "image").map((part) => Buffer.from(part.data).toString("base64"));
    if (images.length > 0) result.images = images;
  }
  if (message.toolCalls !== undefined && message.toolCalls.length > 0) {
    result.tool_calls = message.toolCalls.map((call) => ({ function: { name: call.name, arguments: parseArguments(call.arguments) } }));
  }
  if (message.role === "tool" && message.name !== undefined) result.tool_name = message.name;
  return result;
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}
