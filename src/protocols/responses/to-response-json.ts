import type { ChatResult, Usage } from "../../providers/spec/index.ts";
import { itemId, toOutputItems } from "./response-items.ts";
import type { ResponsesBody } from "./responses-schemas.ts";
import type { ResponseState } from "./to-response-object.ts";

const json = JSON.stringify;

/** A number as JSON.stringify writes it (a non-finite one, which 1e400 in a body becomes, is null). */
function number(value: number): string {
  return Number.isFinite(value) ? String(value) : "null";
}

function usageJson(usage: Usage | undefined): string {
  if (usage === undefined) return "null";
  return (
    `{"input_tokens":${number(usage.promptTokens)},"input_tokens_details":{"cached_tokens":0},` +
    `"output_tokens":${number(usage.completionTokens)},"output_tokens_details":{"reasoning_tokens":0},"total_tokens":${number(usage.totalTokens)}}`
  );
}

/** `value ?? fallback` as JSON, the fallback already written (the settings a request rarely sends). */
function orJson(value: unknown, fallback: string): string {
  return value === undefined || value === null ? fallback : json(value);
}

/**
 * toResponseObject's JSON, written out: the same bytes as `JSON.stringify(toResponseObject(state,
 * body))` with the output items given as JSON text, without building the object first. Only
 * strings and what the client sent (metadata, tools, formats) go through JSON.stringify.
 */
export function toResponseJson(state: ResponseState, body: ResponsesBody, outputJson: string): string {
  const { status } = state;
  return (
    `{"id":${json(state.id)},"object":"response","created_at":${number(state.createdAt)},"status":"${status}","background":false,` +
    `"error":${state.error === undefined ? "null" : json(state.error)},` +
    `"incomplete_details":${status === "incomplete" ? '{"reason":"max_output_tokens"}' : "null"},` +
    `"instructions":${orJson(body.instructions, "null")},"max_output_tokens":${orJson(body.max_output_tokens, "null")},` +
    `"metadata":${orJson(body.metadata, "{}")},"model":${json(state.model)},"output":${outputJson},` +
    `"parallel_tool_calls":${orJson(body.parallel_tool_calls, "true")},"previous_response_id":${orJson(body.previous_response_id, "null")},` +
    `"reasoning":{"effort":null,"summary":null},"store":${orJson(body.store, "true")},"temperature":${orJson(body.temperature, "1")},` +
    `"text":{"format":${orJson(body.text?.format, '{"type":"text"}')}},"tool_choice":${orJson(body.tool_choice, '"auto"')},` +
    `"tools":${orJson(body.tools, "[]")},"top_p":${orJson(body.top_p, "1")},"truncation":"disabled",` +
    `"usage":${status === "in_progress" ? "null" : usageJson(state.usage)},"user":null}`
  );
}

/**
 * A whole result's output items as JSON. A text-only reply (nearly every one) is one message item
 * written out; reasoning or tool calls are built as items and serialised.
 */
export function toOutputJson(result: ChatResult): string {
  if (result.toolCalls.length > 0 || (result.reasoning !== undefined && result.reasoning.length > 0)) return json(toOutputItems(result));
  return (
    `[{"id":"${itemId("msg")}","type":"message","status":"completed","role":"assistant",` +
    `"content":[{"type":"output_text","text":${json(result.text)},"annotations":[],"logprobs":[]}]}]`
  );
}
