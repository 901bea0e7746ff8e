import type { ChatInput, InputMessage, InputPart } from "../../chat-core/chat-input.ts";
import { completionPrompt } from "../../chat-core/completion-prompt.ts";
import type { ResponseFormat } from "../../providers/spec/index.ts";
import type { GenerateTurn } from "./generate-context.ts";
import type { OllamaChatBody, OllamaGenerateBody, OllamaMessage, OllamaOptions } from "./ollama-schemas.ts";

/** Ollama /api/chat → the chat core's input. Tool calls get ids when the client sent none. */
export function fromOllamaChat(body: OllamaChatBody, model: string): ChatInput {
  let callCount = 0;
  const pendingIds: string[] = [];
  const messages = body.messages.map((message, index): InputMessage => {
    const result: InputMessage = { role: message.role, content: toContent(message, `messages[${index}].images`) };
    if (message.tool_calls != null && message.tool_calls.length > 0) {
      result.toolCalls = message.tool_calls.map((call) => {
        const id = call.id ?? `call_${callCount++}`;
        pendingIds.push(id);
        return { id, name: call.function.name, arguments: JSON.stringify(call.function.arguments) };
      });
    }
    if (message.role === "tool") {
      // Ollama answers calls by order (tool_name), chat models by id: pair them in order.
      const id = message.tool_call_id ?? pendingIds.shift();
      if (id !== undefined) result.toolCallId = id;
      if (message.tool_name !== undefined) result.name = message.tool_name;
    }
    return result;
  });
  const input: ChatInput = { model, messages };
  if (body.tools != null && body.tools.length > 0) {
    input.tools = body.tools.map((tool) => ({
      name: tool.function.name,
      ...(tool.function.description === undefined ? {} : { description: tool.function.description }),
      parameters: tool.function.parameters ?? { type: "object", properties: {} },
    }));
  }
  applySettings(input, body);
  return input;
}

/**
 * Ollama /api/generate → the chat core's input: the prompt is one user turn (`system` before it,
 * then the earlier turns its `context` brings back). With `suffix`, the model is asked for the
 * text between prompt and suffix (fill-in-the-middle over a chat model: Station sends no raw FIM
 * tokens, so any chat model can do it).
 */
export function fromOllamaGenerate(body: OllamaGenerateBody, model: string, earlier: readonly GenerateTurn[] = []): ChatInput {
  const messages: InputMessage[] = [];
  if (body.system !== undefined && body.system.length > 0) messages.push({ role: "system", content: body.system });
  for (const turn of earlier) messages.push({ role: "user", content: turn.prompt }, { role: "assistant", content: turn.response });
  if (body.suffix !== undefined && body.suffix.length > 0) messages.push(...completionPrompt(body.prompt, body.suffix));
  else {
    const images = body.images ?? [];
    const parts: InputPart[] = images.map((base64, index) => ({ type: "image-reference", base64, param: `images[${index}]` }));
    messages.push({ role: "user", content: parts.length === 0 ? body.prompt : [{ type: "text", text: body.prompt }, ...parts] });
  }
  const input: ChatInput = { model, messages, params: { messages: "prompt" } };
  applySettings(input, body);
  return input;
}

function toContent(message: OllamaMessage, param: string): string | InputPart[] {
  const images = message.images ?? [];
  if (images.length === 0) return message.content;
  const parts: InputPart[] = [];
  if (message.content.length > 0) parts.push({ type: "text", text: message.content });
  images.forEach((base64, index) => {
    parts.push({ type: "image-reference", base64, param: `${param}[${index}]` });
  });
  return parts;
}

function applySettings(
  input: ChatInput,
  body: { options?: OllamaOptions | undefined; format?: unknown; keep_alive?: string | number | undefined },
): void {
  const { temperature, top_p, top_k, num_predict, stop, seed, presence_penalty, frequency_penalty, ...engine } = body.options ?? {};
  if (temperature !== undefined) input.temperature = temperature;
  if (top_p !== undefined) input.topP = top_p;
  if (top_k !== undefined) input.topK = top_k;
  // Ollama's -1 (and -2) mean "no limit" / "fill the context".
  if (num_predict !== undefined && num_predict > 0) input.maxTokens = num_predict;
  if (stop !== undefined && stop.length > 0) input.stop = stop;
  if (seed !== undefined) input.seed = seed;
  if (presence_penalty !== undefined) input.presencePenalty = presence_penalty;
  if (frequency_penalty !== undefined) input.frequencyPenalty = frequency_penalty;
  const format = toFormat(body.format);
  if (format !== undefined) input.responseFormat = format;
  const engineOptions: Record<string, unknown> = {};
  if (Object.keys(engine).length > 0) engineOptions.options = engine;
  if (body.keep_alive !== undefined) engineOptions.keep_alive = body.keep_alive;
  if (Object.keys(engineOptions).length > 0) input.engineOptions = engineOptions;
}

function toFormat(format: unknown): ResponseFormat | undefined {
  if (format === "json") return { type: "json_object" };
  if (typeof format === "object" && format !== null)
    return { type: "json_schema", name: "response", schema: format as Record<string, unknown> };
  return undefined;
}
