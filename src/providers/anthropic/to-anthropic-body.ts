import type { ChatMessage, ChatRequest, ContentPart } from "../spec/index.ts";

type Block = Record<string, unknown>;

/**
 * Provider-neutral ChatRequest → Anthropic Messages body: system messages become `system`, tool
 * calls `tool_use` blocks, tool results `tool_result` blocks in a user turn (consecutive results
 * share one), images base64 `image` blocks. Messages requires max_tokens.
 */
export function toAnthropicBody(request: ChatRequest, stream: boolean, defaultMaxTokens: number): Record<string, unknown> {
  const system = request.messages
    .filter((message) => message.role === "system")
    .map((message) => textOf(message.content))
    .join("\n\n");
  const messages: { role: "user" | "assistant"; content: Block[] }[] = [];
  const push = (role: "user" | "assistant", blocks: Block[]) => {
    const last = messages.at(-1);
    if (last !== undefined && last.role === role) last.content.push(...blocks);
    else messages.push({ role, content: blocks });
  };
  for (const message of request.messages) {
    if (message.role === "system") continue;
    if (message.role === "tool") {
      push("user", [{ type: "tool_result", tool_use_id: message.toolCallId ?? "", content: textOf(message.content) }]);
      continue;
    }
    const blocks = toBlocks(message.content);
    if (message.role === "assistant") {
      for (const call of message.toolCalls ?? [])
        blocks.push({ type: "tool_use", id: call.id, name: call.name, input: parseInput(call.arguments) });
    }
    push(message.role === "assistant" ? "assistant" : "user", blocks);
  }
  const body: Record<string, unknown> = {
    model: request.model,
    max_tokens: request.maxTokens ?? defaultMaxTokens,
    messages,
  };
  if (system.length > 0) body.system = system;
  if (stream) body.stream = true;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.topK !== undefined) body.top_k = request.topK;
  if (request.stop !== undefined && request.stop.length > 0) body.stop_sequences = request.stop;
  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      name: tool.name,
      ...(tool.description === undefined ? {} : { description: tool.description }),
      input_schema: tool.parameters,
    }));
    const choice = request.toolChoice;
    if (choice === "required") body.tool_choice = { type: "any" };
    else if (choice === "none") body.tool_choice = { type: "none" };
    else if (typeof choice === "object") body.tool_choice = { type: "tool", name: choice.name };
  }
  return body;
}

function textOf(content: ChatMessage["content"]): string {
  if (typeof content === "string") return content;
  return content.map((part) => (part.type === "text" ? part.text : "")).join("");
}

function toBlocks(content: string | ContentPart[]): Block[] {
  if (typeof content === "string") return content.length === 0 ? [] : [{ type: "text", text: content }];
  return content.map((part) =>
    part.type === "text"
      ? { type: "text", text: part.text }
      : {
          type: "image",
          source: { type: "base64", media_type: part.mediaType, data: Buffer.from(part.data).toString("base64") },
        },
  );
}

function parseInput(json: string): unknown {
  try {
    const parsed: unknown = JSON.parse(json.trim() === "" ? "{}" : json);
    return typeof parsed === "object" && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}
