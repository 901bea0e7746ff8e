import { StationError } from "../../errors/station-error.ts";
import { streamFailure } from "../../errors/stream-failure.ts";
import type { ChatResult, FinishReason, StreamPart, ToolCall, Usage } from "../../providers/spec/index.ts";

export type OllamaFlavor = "chat" | "generate";

/** Nanosecond clock readings of one call, for the final chunk's duration fields. */
export interface OllamaTimings {
  startedAt: bigint;
  firstTokenAt?: bigint | undefined;
}

const zero = BigInt(0);

/**
 * Ollama's final-chunk statistics, written onto that chunk: durations in nanoseconds, token
 * counts from the usage.
 */
function addStatistics(line: Record<string, unknown>, timings: OllamaTimings, usage: Usage | undefined, finishReason: FinishReason): void {
  const now = process.hrtime.bigint();
  const firstToken = timings.firstTokenAt ?? now;
  line.done_reason = finishReason === "length" ? "length" : "stop";
  line.total_duration = Number(now - timings.startedAt);
  line.load_duration = 0;
  line.prompt_eval_count = usage?.promptTokens ?? 0;
  line.prompt_eval_duration = Number(firstToken - timings.startedAt > zero ? firstToken - timings.startedAt : zero);
  line.eval_count = usage?.completionTokens ?? 0;
  line.eval_duration = Number(now - firstToken);
}

/** Tool calls as Ollama sends them: whole, arguments as an object. */
export function ollamaToolCalls(calls: readonly ToolCall[]): Record<string, unknown>[] {
  return calls.map((call, index) => ({ id: call.id, function: { index, name: call.name, arguments: parseArguments(call.arguments) } }));
}

function parseArguments(json: string): unknown {
  try {
    const parsed: unknown = JSON.parse(json.length === 0 ? "{}" : json);
    return typeof parsed === "object" && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}

let isoMillisecond = -1;
let isoText = "";

/** `created_at` for every line: one Date per millisecond however many lines a stream writes in it. */
function createdAt(): string {
  const now = Date.now();
  if (now !== isoMillisecond) {
    isoMillisecond = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}

/**
 * One line's object, built as a single literal: on Node 20 a spread followed by more keys
 * (`{ ...head, message }`) cost ~1 µs per object, several per reply.
 */
function line(
  flavor: OllamaFlavor,
  model: string,
  text: string,
  thinking: string,
  calls: readonly ToolCall[],
  done: boolean,
): Record<string, unknown> {
  if (flavor === "generate") {
    return thinking.length > 0
      ? { model, created_at: createdAt(), response: text, thinking, done }
      : { model, created_at: createdAt(), response: text, done };
  }
  const message: Record<string, unknown> = { role: "assistant", content: text };
  if (thinking.length > 0) message.thinking = thinking;
  if (calls.length > 0) message.tool_calls = ollamaToolCalls(calls);
  return { model, created_at: createdAt(), message, done };
}

/** /api/generate's `context` for the reply's text (absent where Ollama sends none: chat, raw, suffix). */
export type ContextOf = ((response: string) => number[]) | undefined;

/** A whole reply (`stream: false`) as Ollama's single object. */
export function toOllamaReply(
  flavor: OllamaFlavor,
  model: string,
  result: ChatResult,
  timings: OllamaTimings,
  contextOf?: ContextOf,
): Record<string, unknown> {
  const reply = line(flavor, model, result.text, result.reasoning ?? "", result.toolCalls, true);
  if (contextOf !== undefined) reply.context = contextOf(result.text);
  addStatistics(reply, timings, result.usage, result.finishReason);
  return reply;
}

/** The NDJSON line Ollama ends a failed stream with (the client throws it). */
export function ollamaErrorLine(error: unknown): string {
  return `${JSON.stringify({ error: streamFailure(error).message })}\n`;
}

/**
 * Neutral parts → Ollama's NDJSON stream: one line per text or thinking delta, tool calls whole
 * once their arguments are complete (Ollama never streams arguments), then a last line with
 * `done: true`, done_reason and the statistics.
 */
export async function* encodeOllamaStream(
  parts: AsyncIterable<StreamPart>,
  flavor: OllamaFlavor,
  model: string,
  timings: OllamaTimings,
  contextOf?: ContextOf,
): AsyncGenerator<string> {
  const calls: ToolCall[] = [];
  let usage: Usage | undefined;
  let text = "";
  for await (const part of parts) {
    timings.firstTokenAt ??= process.hrtime.bigint();
    switch (part.type) {
      case "text-delta":
        if (contextOf !== undefined) text += part.text;
        yield `${JSON.stringify(line(flavor, model, part.text, "", [], false))}\n`;
        break;
      case "reasoning-delta":
        yield `${JSON.stringify(line(flavor, model, "", part.text, [], false))}\n`;
        break;
      case "tool-call-delta": {
        const call = calls[part.index] ?? { id: part.id ?? `call_${part.index}`, name: "", arguments: "" };
        calls[part.index] = call;
        if (part.name !== undefined) call.name += part.name;
        if (part.argumentsDelta !== undefined) call.arguments += part.argumentsDelta;
        break;
      }
      case "usage":
        usage = part.usage;
        break;
      case "finish": {
        const finished = calls.filter((call) => call !== undefined);
        if (finished.length > 0 && flavor === "chat") yield `${JSON.stringify(line(flavor, model, "", "", finished, false))}\n`;
        const last = line(flavor, model, "", "", [], true);
        if (contextOf !== undefined) last.context = contextOf(text);
        addStatistics(last, timings, part.usage ?? usage, part.finishReason);
        yield `${JSON.stringify(last)}\n`;
        return;
      }
      case "error":
        throw part.error;
    }
  }
  throw new StationError({ code: "upstream_error", status: 502, message: "The stream ended without a finish" });
}
