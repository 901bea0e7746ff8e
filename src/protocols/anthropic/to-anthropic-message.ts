import type { ChatResult, FinishReason, Usage } from "../../providers/spec/index.ts";
import { randomHexId } from "../random-hex-id.ts";

export function anthropicMessageId(): string {
  return randomHexId("msg_", 12);
}

export function anthropicStopReason(reason: FinishReason): string {
  if (reason === "length") return "max_tokens";
  if (reason === "tool_calls") return "tool_use";
  return "end_turn";
}

export function anthropicUsage(usage: Usage | undefined): { input_tokens: number; output_tokens: number } {
  return { input_tokens: usage?.promptTokens ?? 0, output_tokens: usage?.completionTokens ?? 0 };
}

/** Tool arguments as Anthropic's `input` object (a model that wrote broken JSON gets it as a string field). */
export function toolInput(argumentsJson: string): unknown {
  if (argumentsJson.trim().length === 0) return {};
  try {
    const parsed: unknown = JSON.parse(argumentsJson);
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? parsed : { value: parsed };
  } catch {
    return { arguments: argumentsJson };
  }
}

/** A whole ChatResult as Anthropic's `message` object. */
export function toAnthropicMessage(result: ChatResult, model: string): Record<string, unknown> {
  const content: Record<string, unknown>[] = [];
  if (result.reasoning !== undefined && result.reasoning.length > 0)
    content.push({ type: "thinking", thinking: result.reasoning, signature: "" });
  if (result.text.length > 0 || result.toolCalls.length === 0) content.push({ type: "text", text: result.text });
  for (const call of result.toolCalls) {
    content.push({ type: "tool_use", id: call.id, name: call.name, input: toolInput(call.arguments) });
  }
  return {
    id: anthropicMessageId(),
    type: "message",
    role: "assistant",
    model,
    content,
    stop_reason: anthropicStopReason(result.finishReason),
    stop_sequence: null,
    usage: anthropicUsage(result.usage),
  };
}

/**
 * toAnthropicMessage's JSON. A text-only reply (no thinking, no tool use: nearly every one) is
 * written out, only its strings through JSON.stringify: the same bytes without building the object.
 */
export function toAnthropicMessageJson(result: ChatResult, model: string): string {
  if (result.toolCalls.length > 0 || (result.reasoning !== undefined && result.reasoning.length > 0)) {
    return JSON.stringify(toAnthropicMessage(result, model));
  }
  const usage = result.usage;
  return (
    `{"id":"${anthropicMessageId()}","type":"message","role":"assistant","model":${JSON.stringify(model)},` +
    `"content":[{"type":"text","text":${JSON.stringify(result.text)}}],"stop_reason":"${anthropicStopReason(result.finishReason)}",` +
    `"stop_sequence":null,"usage":{"input_tokens":${usage?.promptTokens ?? 0},"output_tokens":${usage?.completionTokens ?? 0}}}`
  );
}
