import { StationError } from "../../errors/station-error.ts";
import type { StreamPart, ToolCall, Usage } from "../../providers/spec/index.ts";
import { functionCallItem, itemId, messageItem, type ResponseItem, reasoningItem } from "./response-items.ts";
import type { ResponsesBody } from "./responses-schemas.ts";
import { toResponseJson } from "./to-response-json.ts";
import type { ResponseState } from "./to-response-object.ts";

type Open =
  | { kind: "message"; item: string; index: number; text: string }
  | { kind: "reasoning"; item: string; index: number; text: string }
  | { kind: "call"; item: string; index: number; callIndex: number; callId: string; name: string; args: string };

export interface ResponsesStreamOptions {
  body: ResponsesBody;
  state: ResponseState;
  /** Called with the finished response (completed, incomplete or failed), to store it. */
  onEnd(state: ResponseState): Promise<void>;
  /** Reports a failure midway to the resilience layer (the stream itself ends with response.failed). */
  fail(error: unknown): void;
}

/**
 * Neutral stream parts → the Responses API's event stream, every event with a `sequence_number`,
 * in the order the `openai` client's ResponseStream accumulates: `response.created`,
 * `response.in_progress`, then per output item `output_item.added`, (`content_part.added`, deltas,
 * `…text.done`, `content_part.done` | `function_call_arguments.delta`…`.done`), `output_item.done`,
 * and last `response.completed`, `response.incomplete` or `response.failed` (a stream that dies
 * midway: the protocol's own way to end, with the error in `response.error`).
 */
export async function* encodeResponsesStream(parts: AsyncIterable<StreamPart>, options: ResponsesStreamOptions): AsyncGenerator<string> {
  const { body, state } = options;
  let sequence = 0;
  // The same bytes as JSON.stringify({ type, sequence_number, ...data }) (data always has a key),
  // without copying each event's fields into another object first.
  const event = (type: string, data: Record<string, unknown>): string =>
    `event: ${type}\ndata: {"type":${JSON.stringify(type)},"sequence_number":${sequence++},${JSON.stringify(data).slice(1)}\n\n`;
  // The response as it stands, written as JSON text (the same bytes as its object serialised).
  const snapshot = (): string => toResponseJson(state, body, JSON.stringify(state.output));
  const withResponse = (type: string, response: string): string =>
    `event: ${type}\ndata: {"type":${JSON.stringify(type)},"sequence_number":${sequence++},"response":${response}}\n\n`;
  // Nothing changes between these two events: one snapshot.
  const started = snapshot();
  yield withResponse("response.created", started) + withResponse("response.in_progress", started);

  let open: Open | undefined;
  const close = (): string => {
    if (open === undefined) return "";
    const current = open;
    open = undefined;
    if (current.kind === "call") {
      const item = functionCallItem(current.item, current.callId, current.name, current.args, "completed");
      state.output[current.index] = item;
      return (
        event("response.function_call_arguments.done", {
          item_id: current.item,
          output_index: current.index,
          name: current.name,
          arguments: current.args,
        }) + event("response.output_item.done", { output_index: current.index, item })
      );
    }
    const part =
      current.kind === "message"
        ? { type: "output_text", text: current.text, annotations: [] }
        : { type: "reasoning_text", text: current.text };
    const item: ResponseItem =
      current.kind === "message" ? messageItem(current.item, current.text, "completed") : reasoningItem(current.item, current.text);
    state.output[current.index] = item;
    const textDone =
      current.kind === "message"
        ? event("response.output_text.done", {
            item_id: current.item,
            output_index: current.index,
            content_index: 0,
            text: current.text,
            logprobs: [],
          })
        : event("response.reasoning_text.done", {
            item_id: current.item,
            output_index: current.index,
            content_index: 0,
            text: current.text,
          });
    return (
      textDone +
      event("response.content_part.done", { item_id: current.item, output_index: current.index, content_index: 0, part }) +
      event("response.output_item.done", { output_index: current.index, item })
    );
  };
  const startText = (kind: "message" | "reasoning"): string => {
    const closing = close();
    const index = state.output.length;
    const id = itemId(kind === "message" ? "msg" : "rs");
    const item = kind === "message" ? messageItem(id, "", "in_progress") : reasoningItem(id, undefined);
    if (kind === "reasoning") item.content = [];
    state.output.push(item);
    open = { kind, item: id, index, text: "" };
    const part = kind === "message" ? { type: "output_text", text: "", annotations: [] } : { type: "reasoning_text", text: "" };
    return `${closing}${event("response.output_item.added", { output_index: index, item })}${event("response.content_part.added", { item_id: id, output_index: index, content_index: 0, part })}`;
  };

  let usage: Usage | undefined;
  const calls: ToolCall[] = [];
  try {
    for await (const part of parts) {
      if (part.type === "text-delta" || part.type === "reasoning-delta") {
        const kind = part.type === "text-delta" ? "message" : "reasoning";
        const head = open?.kind === kind ? "" : startText(kind);
        const current = open as unknown as Extract<Open, { text: string }>;
        current.text += part.text;
        const delta =
          kind === "message"
            ? event("response.output_text.delta", {
                item_id: current.item,
                output_index: current.index,
                content_index: 0,
                delta: part.text,
                logprobs: [],
              })
            : event("response.reasoning_text.delta", {
                item_id: current.item,
                output_index: current.index,
                content_index: 0,
                delta: part.text,
              });
        yield head + delta;
      } else if (part.type === "tool-call-delta") {
        let head = "";
        if (open?.kind !== "call" || open.callIndex !== part.index) {
          head = close();
          const index = state.output.length;
          const id = itemId("fc");
          const callId = part.id ?? itemId("call");
          const item = functionCallItem(id, callId, part.name ?? "", "", "in_progress");
          state.output.push(item);
          open = { kind: "call", item: id, index, callIndex: part.index, callId, name: part.name ?? "", args: "" };
          calls.push({ id: callId, name: part.name ?? "", arguments: "" });
          head += event("response.output_item.added", { output_index: index, item });
        }
        const current = open as Extract<Open, { kind: "call" }>;
        const delta = part.argumentsDelta ?? "";
        current.args += delta;
        const text =
          delta.length === 0
            ? ""
            : event("response.function_call_arguments.delta", { item_id: current.item, output_index: current.index, delta });
        if (head.length + text.length > 0) yield head + text;
      } else if (part.type === "usage") {
        usage = part.usage;
      } else if (part.type === "finish") {
        state.usage = part.usage ?? usage;
        state.finishReason = part.finishReason;
        state.status = part.finishReason === "length" ? "incomplete" : "completed";
        const closing = close();
        await options.onEnd(state);
        yield closing + withResponse(state.status === "incomplete" ? "response.incomplete" : "response.completed", snapshot());
        return;
      } else if (part.type === "error") {
        throw part.error;
      }
    }
    throw new StationError({ code: "upstream_error", status: 502, message: "The stream ended without a finish" });
  } catch (error) {
    const stationError = error instanceof StationError ? error : undefined;
    state.status = "failed";
    state.error = { code: stationError?.code ?? "server_error", message: stationError?.message ?? "The upstream stream failed" };
    open = undefined;
    options.fail(error);
    await options.onEnd(state).catch(() => undefined);
    yield withResponse("response.failed", snapshot());
  }
}
