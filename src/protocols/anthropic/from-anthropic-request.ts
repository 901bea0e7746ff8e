import type { ChatInput, InputMessage, InputPart } from "../../chat-core/chat-input.ts";
import type { ToolChoice } from "../../providers/spec/index.ts";
import type { AnthropicBlock, AnthropicCountTokensBody, AnthropicMessage, AnthropicMessagesBody } from "./anthropic-schemas.ts";

/**
 * Anthropic Messages request → the chat core's neutral input. `tool_result` blocks (which
 * Anthropic puts in a user turn) become tool messages ahead of whatever else the turn says;
 * `tool_use` blocks become the assistant's tool calls; thinking blocks are the model's own and
 * are not sent back.
 */
export function fromAnthropicRequest(body: AnthropicMessagesBody | AnthropicCountTokensBody): ChatInput {
  const messages: InputMessage[] = [];
  const system = typeof body.system === "string" ? body.system : body.system?.map((block) => block.text).join("\n");
  if (system !== undefined && system.length > 0) messages.push({ role: "system", content: system });
  body.messages.forEach((message, index) => {
    messages.push(...toMessages(message, `messages[${index}].content`));
  });
  const input: ChatInput = { model: body.model, messages };
  if (body.tools !== undefined && body.tools.length > 0) {
    input.tools = body.tools.map((tool) => ({
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      parameters: tool.input_schema,
    }));
  }
  if (body.tool_choice !== undefined) input.toolChoice = toToolChoice(body.tool_choice);
  // count_tokens bodies have no sampling fields.
  const sampling = body as Partial<AnthropicMessagesBody>;
  if (sampling.max_tokens !== undefined) input.maxTokens = sampling.max_tokens;
  if (sampling.stop_sequences !== undefined && sampling.stop_sequences.length > 0) input.stop = sampling.stop_sequences;
  if (sampling.temperature !== undefined) input.temperature = sampling.temperature;
  if (sampling.top_p !== undefined) input.topP = sampling.top_p;
  if (sampling.top_k !== undefined) input.topK = sampling.top_k;
  return input;
}

function toMessages(message: AnthropicMessage, param: string): InputMessage[] {
  if (typeof message.content === "string") return [{ role: message.role, content: message.content }];
  if (message.role === "assistant") {
    const text = message.content.flatMap((block) => (block.type === "text" ? [block.text] : [])).join("");
    const toolCalls = message.content.flatMap((block) =>
      block.type === "tool_use" ? [{ id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) }] : [],
    );
    return [{ role: "assistant", content: text, ...(toolCalls.length === 0 ? {} : { toolCalls }) }];
  }
  const toolMessages: InputMessage[] = [];
  const parts: InputPart[] = [];
  message.content.forEach((block, index) => {
    if (block.type === "tool_result") {
      toolMessages.push({ role: "tool", toolCallId: block.tool_use_id, content: toolResultText(block) });
      return;
    }
    const part = toPart(block, `${param}[${index}]`);
    if (part !== undefined) parts.push(part);
  });
  if (parts.length > 0) toolMessages.push({ role: "user", content: parts });
  return toolMessages;
}

function toPart(block: AnthropicBlock, param: string): InputPart | undefined {
  if (block.type === "text") return { type: "text", text: block.text };
  if (block.type === "image") {
    const source = block.source;
    return source.type === "base64"
      ? { type: "image-reference", base64: source.data, mediaType: source.media_type, param: `${param}.source` }
      : { type: "image-reference", url: source.url, param: `${param}.source` };
  }
  return undefined;
}

function toolResultText(block: Extract<AnthropicBlock, { type: "tool_result" }>): string {
  const content = block.content;
  const text =
    typeof content === "string" ? content : (content ?? []).flatMap((part) => (part.type === "text" ? [part.text] : [])).join("\n");
  return block.is_error === true ? `Error: ${text}` : text;
}

function toToolChoice(choice: NonNullable<AnthropicMessagesBody["tool_choice"]>): ToolChoice {
  switch (choice.type) {
    case "any":
      return "required";
    case "none":
      return "none";
    case "tool":
      return { name: (choice as { name: string }).name };
    default:
      return "auto";
  }
}
