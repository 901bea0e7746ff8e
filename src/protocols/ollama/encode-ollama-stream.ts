import { StationError } from "../../errors/station-error.ts";
import type { ChatResult, FinishReason, StreamPart, ToolCall, Usage } from "../../providers/spec/index.ts";

export type OllamaFlavor = "chat" | "generate";

/** Nanosecond clock readings of one call, for the final chunk's duration fields. */
export interface OllamaTimings {
  startedAt: bigint;
  firstTokenAt?: bigint | undefined;
}

const zero = BigInt(0);

/** Ollama's final-chunk statistics: durations in nanoseconds, token counts from the usage. */
export function ollamaStatistics(timings: OllamaTimings, usage: Usage | undefined, finishReason: FinishReason): Record<string, unknown> {
  const now = process.hrtime.bigint();
  const firstToken = timings.firstTokenAt ?? now;
  return {
    done_reason: finishReason === "length" ? "length" : "stop",
    total_duration: Number(now - timings.startedAt),
    load_duration: 0,
    prompt_eval_count: usage?.promptTokens ?? 0,
    prompt_eval_duration: Number(firstToken - timings.startedAt > zero ? firstToken - timings.startedAt : zero),
    eval_count: usage?.completionTokens ?? 0,
    eval_duration: Number(now - firstToken),
  };
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

function body(flavor: OllamaFlavor, model: string, text: string, thinking: string, calls: readonly ToolCall[]): Record<string, unknown> {
  const head = { model, created_at: new Date().toISOString() };
  if (flavor === "generate") return { ...head, response: text, ...(thinking.length > 0 ? { thinking } : {}), done: false };
  const message: Record<string, unknown> = { role: "assistant", content: text };
  if (thinking.length > 0) message.thinking = thinking;
  if (calls.length > 0) message.tool_calls = ollamaToolCalls(calls);
  return { ...head, message, done: false };
}

/** A whole reply (`stream: false`) as Ollama's single object. */
export function toOllamaReply(flavor: OllamaFlavor, model: string, result: ChatResult, timings: OllamaTimings): Record<string, unknown> {
  return {
    ...body(flavor, model, result.text, result.reasoning ?? "", result.toolCalls),
    done: true,
    ...ollamaStatistics(timings, result.usage, result.finishReason),
  };
}

/** The NDJSON line Ollama ends a failed stream with (the client throws it). */
export function ollamaErrorLine(error: unknown): string {
  const message = error instanceof StationError ? error.message : "The upstream stream failed";
  return `${JSON.stringify({ error: message })}\n`;
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
): AsyncGenerator<string> {
  const calls: ToolCall[] = [];
  let usage: Usage | undefined;
  for await (const part of parts) {
    timings.firstTokenAt ??= process.hrtime.bigint();
    switch (part.type) {
      case "text-delta":
        yield `${JSON.stringify(body(flavor, model, part.text, "", []))}\n`;
        break;
      case "reasoning-delta":
        yield `${JSON.stringify(body(flavor, model, "", part.text, []))}\n`;
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
        if (finished.length > 0 && flavor === "chat") yield `${JSON.stringify(body(flavor, model, "", "", finished))}\n`;
        const last = {
          ...body(flavor, model, "", "", []),
          done: true,
          ...ollamaStatistics(timings, part.usage ?? usage, part.finishReason),
        };
        yield `${JSON.stringify(last)}\n`;
        return;
      }
      case "error":
        throw part.error;
    }
  }
  throw new StationError({ code: "upstream_error", status: 502, message: "The stream ended without a finish" });
}
