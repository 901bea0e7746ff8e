import type { ChatInput } from "../../chat-core/chat-input.ts";
import { completionPrompt } from "../../chat-core/completion-prompt.ts";
import { StationError } from "../../errors/station-error.ts";
import type { ChatResult, FinishReason, StreamPart, Usage } from "../../providers/spec/index.ts";
import { randomHexId } from "../random-hex-id.ts";
import type { CompletionsBody } from "./completions-schemas.ts";

/** Legacy completions request → the chat core's input. */
export function fromCompletionsRequest(body: CompletionsBody): ChatInput {
  const prompt = typeof body.prompt === "string" ? body.prompt : (body.prompt[0] ?? "");
  const input: ChatInput = {
    model: body.model,
    messages: completionPrompt(prompt, body.suffix ?? undefined),
    params: { messages: "prompt" },
  };
  if (body.max_tokens != null) input.maxTokens = body.max_tokens;
  if (body.stop != null) input.stop = typeof body.stop === "string" ? [body.stop] : body.stop;
  if (body.temperature != null) input.temperature = body.temperature;
  if (body.top_p != null) input.topP = body.top_p;
  if (body.seed != null) input.seed = body.seed;
  if (body.presence_penalty != null) input.presencePenalty = body.presence_penalty;
  if (body.frequency_penalty != null) input.frequencyPenalty = body.frequency_penalty;
  return input;
}

function completionId(): string {
  return randomHexId("cmpl-", 12);
}

function finishReason(reason: FinishReason): string {
  return reason === "length" ? "length" : "stop";
}

function usageOf(usage: Usage | undefined): Record<string, number> {
  return {
    prompt_tokens: usage?.promptTokens ?? 0,
    completion_tokens: usage?.completionTokens ?? 0,
    total_tokens: usage?.totalTokens ?? 0,
  };
}

/**
 * A whole result as a `text_completion` object's JSON, written out (only the strings go through
 * JSON.stringify): the same bytes as serialising the object, without building it first.
 */
export function toCompletionJson(result: ChatResult, model: string): string {
  const usage = result.usage;
  return (
    `{"id":"${completionId()}","object":"text_completion","created":${Math.floor(Date.now() / 1000)},"model":${JSON.stringify(model)},` +
    `"choices":[{"text":${JSON.stringify(result.text)},"index":0,"logprobs":null,"finish_reason":"${finishReason(result.finishReason)}"}],` +
    `"usage":{"prompt_tokens":${usage?.promptTokens ?? 0},"completion_tokens":${usage?.completionTokens ?? 0},"total_tokens":${usage?.totalTokens ?? 0}}}`
  );
}

/** Neutral parts → `text_completion` SSE chunks ending with `[DONE]` (usage last with include_usage). */
export async function* encodeCompletionsStream(
  parts: AsyncIterable<StreamPart>,
  model: string,
  includeUsage: boolean,
): AsyncGenerator<string> {
  const head = `{"id":"${completionId()}","object":"text_completion","created":${Math.floor(Date.now() / 1000)},"model":${JSON.stringify(model)},`;
  const chunk = (text: string, finish: string | null): string =>
    `data: ${head}"choices":[{"text":${JSON.stringify(text)},"index":0,"logprobs":null,"finish_reason":${JSON.stringify(finish)}}]}\n\n`;
  let usage: Usage | undefined;
  for await (const part of parts) {
    if (part.type === "text-delta") yield chunk(part.text, null);
    else if (part.type === "usage") usage = part.usage;
    else if (part.type === "error") throw part.error;
    else if (part.type === "finish") {
      yield chunk("", finishReason(part.finishReason));
      if (includeUsage) yield `data: ${head}"choices":[],"usage":${JSON.stringify(usageOf(part.usage ?? usage))}}\n\n`;
      yield "data: [DONE]\n\n";
      return;
    }
  }
  throw new StationError({ code: "upstream_error", status: 502, message: "The stream ended without a finish" });
}
