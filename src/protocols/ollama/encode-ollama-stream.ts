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
const json = JSON.stringify;
const noCalls: readonly ToolCall[] = [];

/**
 * Ollama's final-chunk statistics as the JSON members that end that chunk: done_reason, then the
 * durations in nanoseconds and the token counts from the usage.
 */
function statistics(timings: OllamaTimings, usage: Usage | undefined, finishReason: FinishReason): string {
  const now = process.hrtime.bigint();
  const firstToken = timings.firstTokenAt ?? now;
  const promptEval = firstToken - timings.startedAt;
  return (
    `"done_reason":"${finishReason === "length" ? "length" : "stop"}","total_duration":${Number(now - timings.startedAt)},"load_duration":0,` +
    `"prompt_eval_count":${usage?.promptTokens ?? 0},"prompt_eval_duration":${Number(promptEval > zero ? promptEval : zero)},` +
    `"eval_count":${usage?.completionTokens ?? 0},"eval_duration":${Number(now - firstToken)}}`
  );
}

/** Tool calls as Ollama sends them: whole, arguments as an object. */
export function ollamaToolCalls(calls: readonly ToolCall[]): Record<string, unknown>[] {
  return calls.map((call, index) => ({ id: call.id, function: { index, name: call.name, arguments: parseArguments(call.arguments) } }));
}

function parseArguments(text: string): unknown {
  try {
    const parsed: unknown = JSON.parse(text.length === 0 ? "{}" : text);
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

/** What every line of one reply starts with, up to the `created_at` value: `{"model":…,"created_at":"`. */
function headOf(model: string): string {
  return `{"model":${json(model)},"created_at":"`;
}

/**
 * One line's JSON up to its `done` member, written out (only the strings go through
 * JSON.stringify; an ISO date needs no escaping): the bytes of Ollama's object
 * `{ model, created_at, message: { role, content, thinking?, tool_calls? }, done }` (chat) or
 * `{ model, created_at, response, thinking?, done }` (generate), without building it.
 */
function line(head: string, flavor: OllamaFlavor, text: string, thinking: string, calls: readonly ToolCall[], done: boolean): string {
  const thought = thinking.length > 0 ? `,"thinking":${json(thinking)}` : "";
  if (flavor === "generate") return `${head}${createdAt()}","response":${json(text)}${thought},"done":${done}`;
  const toolCalls = calls.length > 0 ? `,"tool_calls":${json(ollamaToolCalls(calls))}` : "";
  return `${head}${createdAt()}","message":{"role":"assistant","content":${json(text)}${thought}${toolCalls}},"done":${done}`;
}

/** /api/generate's `context` for the reply's text (absent where Ollama sends none: chat, raw, suffix). */
export type ContextOf = ((response: string) => number[]) | undefined;

/** The last line's members after `done`: the context (generate), then the statistics. */
function ending(text: string, contextOf: ContextOf, timings: OllamaTimings, usage: Usage | undefined, finishReason: FinishReason): string {
  const context = contextOf === undefined ? "" : `"context":${json(contextOf(text))},`;
  return `,${context}${statistics(timings, usage, finishReason)}`;
}

/** A whole reply (`stream: false`) as Ollama's single object, as JSON. */
export function toOllamaReplyJson(
  flavor: OllamaFlavor,
  model: string,
  result: ChatResult,
  timings: OllamaTimings,
  contextOf?: ContextOf,
): string {
  return (
    line(headOf(model), flavor, result.text, result.reasoning ?? "", result.toolCalls, true) +
    ending(result.text, contextOf, timings, result.usage, result.finishReason)
  );
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
  const head = headOf(model);
  let usage: Usage | undefined;
  let text = "";
  for await (const part of parts) {
    timings.firstTokenAt ??= process.hrtime.bigint();
    switch (part.type) {
      case "text-delta":
        if (contextOf !== undefined) text += part.text;
        yield `${line(head, flavor, part.text, "", noCalls, false)}}\n`;
        break;
      case "reasoning-delta":
        yield `${line(head, flavor, "", part.text, noCalls, false)}}\n`;
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
        if (finished.length > 0 && flavor === "chat") yield `${line(head, flavor, "", "", finished, false)}}\n`;
        yield `${line(head, flavor, "", "", noCalls, true)}${ending(text, contextOf, timings, part.usage ?? usage, part.finishReason)}\n`;
        return;
      }
      case "error":
        throw part.error;
    }
  }
  throw new StationError({ code: "upstream_error", status: 502, message: "The stream ended without a finish" });
}
