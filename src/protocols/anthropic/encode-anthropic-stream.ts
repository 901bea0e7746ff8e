import { StationError } from "../../errors/station-error.ts";
import { streamFailure } from "../../errors/stream-failure.ts";
import type { StreamPart, Usage } from "../../providers/spec/index.ts";
import { anthropicErrorBody } from "./anthropic-error-body.ts";
import { anthropicMessageId, anthropicStopReason, anthropicUsage } from "./to-anthropic-message.ts";

function event(type: string, data: unknown): string {
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Anthropic's in-stream error event (the SDK throws an APIError of that `type`). */
export function anthropicErrorEvent(error: unknown): string {
  return event("error", anthropicErrorBody(streamFailure(error)));
}

type OpenBlock = { kind: "text" } | { kind: "thinking" } | { kind: "tool"; callIndex: number };

/**
 * Neutral stream parts → Anthropic's Messages stream, in the order `MessageStream` accumulates:
 * `message_start`, `ping`, then per content block `content_block_start`, its deltas
 * (`text_delta`, `thinking_delta`, `input_json_delta`) and `content_block_stop`, then
 * `message_delta` (stop_reason, usage) and `message_stop`. A part of another kind closes the open
 * block and opens the next one.
 */
export async function* encodeAnthropicStream(parts: AsyncIterable<StreamPart>, model: string): AsyncGenerator<string> {
  yield event("message_start", {
    type: "message_start",
    message: {
      id: anthropicMessageId(),
      type: "message",
      role: "assistant",
      model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 0, output_tokens: 0 },
    },
  });
  yield event("ping", { type: "ping" });
  let index = -1;
  let open: OpenBlock | undefined;
  let usage: Usage | undefined;
  const close = (): string => {
    const text = open === undefined ? "" : event("content_block_stop", { type: "content_block_stop", index });
    open = undefined;
    return text;
  };
  const start = (block: OpenBlock, contentBlock: unknown): string => {
    const closing = close();
    index++;
    open = block;
    return `${closing}${event("content_block_start", { type: "content_block_start", index, content_block: contentBlock })}`;
  };
  for await (const part of parts) {
    switch (part.type) {
      case "text-delta": {
        const head = open?.kind === "text" ? "" : start({ kind: "text" }, { type: "text", text: "" });
        yield `${head}${event("content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text: part.text } })}`;
        break;
      }
      case "reasoning-delta": {
        const head = open?.kind === "thinking" ? "" : start({ kind: "thinking" }, { type: "thinking", thinking: "", signature: "" });
        yield `${head}${event("content_block_delta", { type: "content_block_delta", index, delta: { type: "thinking_delta", thinking: part.text } })}`;
        break;
      }
      case "tool-call-delta": {
        const same = open?.kind === "tool" && open.callIndex === part.index;
        const head = same
          ? ""
          : start(
              { kind: "tool", callIndex: part.index },
              { type: "tool_use", id: part.id ?? `toolu_${part.index}`, name: part.name ?? "", input: {} },
            );
        const json = part.argumentsDelta ?? "";
        const delta =
          json.length === 0
            ? ""
            : event("content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: json } });
        if (head.length > 0 || delta.length > 0) yield `${head}${delta}`;
        break;
      }
      case "usage":
        usage = part.usage;
        break;
      case "finish": {
        const final = anthropicUsage(part.usage ?? usage);
        yield `${close()}${event("message_delta", {
          type: "message_delta",
          delta: { stop_reason: anthropicStopReason(part.finishReason), stop_sequence: null },
          usage: { input_tokens: final.input_tokens, output_tokens: final.output_tokens },
        })}${event("message_stop", { type: "message_stop" })}`;
        return;
      }
      case "error":
        throw part.error;
    }
  }
  throw new StationError({ code: "upstream_error", status: 502, message: "The stream ended without a finish" });
}
