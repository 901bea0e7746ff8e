import type { StationError } from "../../errors/station-error.ts";

/** Anthropic's error `type` for each status, as `@anthropic-ai/sdk` maps them to error classes. */
function anthropicType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 413) return "request_too_large";
  if (status === 429) return "rate_limit_error";
  if (status === 503 || status === 529) return "overloaded_error";
  if (status >= 500) return "api_error";
  return "invalid_request_error";
}

/** `{"type":"error","error":{"type","message"}}`, Anthropic's shape for every failed request. */
export function anthropicErrorBody(error: StationError): Record<string, unknown> {
  return { type: "error", error: { type: anthropicType(error.status), message: error.message } };
}
