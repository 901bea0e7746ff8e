import type { FinishReason, Usage } from "../../providers/spec/index.ts";
import type { ResponseItem } from "./response-items.ts";
import type { ResponsesBody } from "./responses-schemas.ts";

export interface ResponseState {
  id: string;
  createdAt: number;
  model: string;
  status: "in_progress" | "completed" | "incomplete" | "failed";
  output: ResponseItem[];
  usage?: Usage | undefined;
  finishReason?: FinishReason | undefined;
  error?: { code: string; message: string } | undefined;
}

/** OpenAI's usage object (Station cannot tell cached or reasoning tokens apart: zeros). */
export function toResponseUsage(usage: Usage | undefined): Record<string, unknown> | null {
  if (usage === undefined) return null;
  return {
    input_tokens: usage.promptTokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: usage.completionTokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: usage.totalTokens,
  };
}

/**
 * The `response` object, echoing the request's settings as OpenAI does: the readable statement of
 * the shape toResponseJson writes as text on the hot path (its test holds the two to the same bytes).
 */
export function toResponseObject(state: ResponseState, body: ResponsesBody): Record<string, unknown> {
  const text = body.text?.format ?? { type: "text" };
  return {
    id: state.id,
    object: "response",
    created_at: state.createdAt,
    status: state.status,
    background: false,
    error: state.error ?? null,
    incomplete_details: state.status === "incomplete" ? { reason: "max_output_tokens" } : null,
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    metadata: body.metadata ?? {},
    model: state.model,
    output: state.output,
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    store: body.store ?? true,
    temperature: body.temperature ?? 1,
    text: { format: text },
    tool_choice: body.tool_choice ?? "auto",
    tools: body.tools ?? [],
    top_p: body.top_p ?? 1,
    truncation: "disabled",
    usage: state.status === "in_progress" ? null : toResponseUsage(state.usage),
    user: null,
  };
}
