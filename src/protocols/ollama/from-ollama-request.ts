import type { ChatInput, InputMessage, InputPart } from "../../chat-core/chat-input.ts";
import { completionPrompt } from "../../chat-core/completion-prompt.ts";
import type { ResponseFormat } from "../../providers/spec/index.ts";
import type { GenerateTurn } from "./generate-context.ts";
import type { OllamaChatBody, OllamaGenerateBody, OllamaMessage, OllamaOptions } from "./ollama-schemas.ts";

/** Ollama /api/chat → the chat core's input. Tool calls get ids when the client sent none. */
export function fromOllamaChat(body: OllamaChatBody, model: string): ChatInput {
  let callCount = 0;
  // Made with the first tool call: most requests carry none.
  let pendingIds: string[] | undefined;
  const messages: InputMessage[] = [];
  for (let index = 0; index < body.messages.length; index++) {
    const message = body.messages[index] as OllamaMessage;
    const result: InputMessage = { role: message.role, content: toContent(message, index) };
    if (message.tool_calls != null && message.tool_calls.length > 0) {
      pendingIds ??= [];
      const ids = pendingIds;
      result.toolCalls = message.tool_calls.map((call) => {
        const id = call.id ?? `call_${callCount++}`;
        ids.push(id);
        return { id, name: call.function.name, arguments: JSON.stringify(call.function.arguments) };
      });
    }
    if (message.role === "tool") {
      // Ollama answers calls by order (tool_name), chat models by id: pair them in order.
      const id = message.tool_call_id ?? pendingIds?.shift();
      if (id !== undefined) result.toolCallId = id;
      if (message.tool_name !== undefined) result.name = message.tool_name;
    }
    messages.push(result);
  }
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
    const images = body.images;
    if (images == null || images.length === 0) messages.push({ role: "user", content: body.prompt });
    else {
      const parts: InputPart[] = [{ type: "text", text: body.prompt }];
      images.forEach((base64, index) => {
        parts.push({ type: "image-reference", base64, param: `images[${index}]` });
      });
      messages.push({ role: "user", content: parts });
    }
  }
  const input: ChatInput = { model, messages, params: { messages: "prompt" } };
  applySettings(input, body);
  return input;
}

/** A message's text, or its parts when it carries images (their param names made only then). */
function toContent(message: OllamaMessage, messageIndex: number): string | InputPart[] {
  const images = message.images;
  if (images == null || images.length === 0) return message.content;
  const param = `messages[${messageIndex}].images`;
  const parts: InputPart[] = [];
  if (message.content.length > 0) parts.push({ type: "text", text: message.content });
  images.forEach((base64, index) => {
    parts.push({ type: "image-reference", base64, param: `${param}[${index}]` });
  });
  return parts;
}

/**
 * Ollama's `options` and `keep_alive` → the core's settings, in one pass over `options`: the
 * sampling settings Station knows become its own, every other option (num_ctx, mirostat, ...) goes
 * to engines that read Ollama's options, in the order the client gave them. Nothing is built for
 * a request without such options (nearly every one).
 */
function applySettings(
  input: ChatInput,
  body: { options?: OllamaOptions | undefined; format?: unknown; keep_alive?: string | number | undefined },
): void {
  const { options } = body;
  let engine: Record<string, unknown> | undefined;
  if (options !== undefined) {
    for (const key in options) {
      const value = options[key];
      switch (key) {
        case "temperature":
          if (value !== undefined) input.temperature = value as number;
          break;
        case "top_p":
          if (value !== undefined) input.topP = value as number;
          break;
        case "top_k":
          if (value !== undefined) input.topK = value as number;
          break;
        case "num_predict":
          // Ollama's -1 (and -2) mean "no limit" / "fill the context".
          if (value !== undefined && (value as number) > 0) input.maxTokens = value as number;
          break;
        case "stop":
          if (value !== undefined && (value as string[]).length > 0) input.stop = value as string[];
          break;
        case "seed":
          if (value !== undefined) input.seed = value as number;
          break;
        case "presence_penalty":
          if (value !== undefined) input.presencePenalty = value as number;
          break;
        case "frequency_penalty":
          if (value !== undefined) input.frequencyPenalty = value as number;
          break;
        default:
          engine ??= {};
          engine[key] = value;
      }
    }
  }
  const format = toFormat(body.format);
  if (format !== undefined) input.responseFormat = format;
  if (engine === undefined && body.keep_alive === undefined) return;
  const engineOptions: Record<string, unknown> = {};
  if (engine !== undefined) engineOptions.options = engine;
  if (body.keep_alive !== undefined) engineOptions.keep_alive = body.keep_alive;
  input.engineOptions = engineOptions;
}

function toFormat(format: unknown): ResponseFormat | undefined {
  if (format === "json") return { type: "json_object" };
  if (typeof format === "object" && format !== null)
    return { type: "json_schema", name: "response", schema: format as Record<string, unknown> };
  return undefined;
}
