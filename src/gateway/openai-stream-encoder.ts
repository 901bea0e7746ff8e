import { randomUUID } from "node:crypto";
import { StationError } from "../errors/station-error.ts";
import { streamFailure } from "../errors/stream-failure.ts";
import type { ChatResult, StreamPart, Usage } from "../providers/spec/index.ts";

export function completionId(): string {
  return `chatcmpl-${randomUUID().replaceAll("-", "").slice(0, 24)}`;
}

export function toOpenAiUsage(usage: Usage | undefined): Record<string, number> | null {
  if (usage === undefined) return null;
  return { prompt_tokens: usage.promptTokens, completion_tokens: usage.completionTokens, total_tokens: usage.totalTokens };
}

/** A whole ChatResult as OpenAI's `chat.completion` object. */
export function toChatCompletion(result: ChatResult, model: string): Record<string, unknown> {
  return {
    id: completionId(),
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: result.text.length === 0 && result.toolCalls.length > 0 ? null : result.text,
          refusal: null,
          ...(result.toolCalls.length === 0
            ? {}
            : {
                tool_calls: result.toolCalls.map((call) => ({
                  id: call.id,
                  type: "function",
                  function: { name: call.name, arguments: call.arguments },
                })),
              }),
        },
        logprobs: null,
        finish_reason: result.finishReason === "error" || result.finishReason === "other" ? "stop" : result.finishReason,
      },
    ],
    usage: toOpenAiUsage(result.usage) ?? { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
  };
}

/** An SSE `error` event as OpenAI's clients read it (they throw an APIError from it). */
export function sseErrorEvent(error: unknown): string {
  const { message, code } = streamFailure(error);
  return `data: ${JSON.stringify({ error: { message, type: "server_error", code, param: null } })}\n\n`;
}

/**
 * Provider-neutral stream parts → OpenAI `chat.completion.chunk` SSE events, ending with
 * `[DONE]` (or an error event). With `includeUsage`, every chunk carries `"usage":null` and a
 * last chunk with empty `choices` carries the usage, exactly as OpenAI does.
 */
export async function* encodeOpenAiStream(parts: AsyncIterable<StreamPart>, model: string, includeUsage: boolean): AsyncGenerator<string> {
  const head = `{"id":"${completionId()}","object":"chat.completion.chunk","created":${Math.floor(Date.now() / 1000)},"model":${JSON.stringify(model)},`;
  const usageField = includeUsage ? ',"usage":null' : "";
  const chunk = (delta: unknown, finishReason: string | null): string =>
    `data: ${head}"choices":[{"index":0,"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${JSON.stringify(finishReason)}}]${usageField}}\n\n`;
  yield chunk({ role: "assistant", content: "" }, null);
  let usage: Usage | undefined;
  for await (const value of parts) {
    switch (value.type) {
      case "text-delta":
        yield chunk({ content: value.text }, null);
        break;
      case "tool-call-delta": {
        const call: Record<string, unknown> = { index: value.index };
        if (value.id !== undefined) call.id = value.id;
        if (value.id !== undefined || value.name !== undefined) call.type = "function";
        const fn: Record<string, string> = {};
        if (value.name !== undefined) fn.name = value.name;
        fn.arguments = value.argumentsDelta ?? "";
        call.function = fn;
        yield chunk({ tool_calls: [call] }, null);
        break;
      }
      case "usage":
        usage = value.usage;
        break;
      case "finish": {
        const reason = value.finishReason === "error" || value.finishReason === "other" ? "stop" : value.finishReason;
        yield chunk({}, reason);
        if (includeUsage) yield `data: ${head}"choices":[],"usage":${JSON.stringify(toOpenAiUsage(value.usage ?? usage))}}\n\n`;
        yield "data: [DONE]\n\n";
        return;
      }
      case "error":
        throw value.error;
    }
  }
  throw new StationError({ code: "upstream_error", status: 502, message: "The stream ended without a finish" });
}
