import { StationError } from "../../errors/station-error.ts";

/**
 * A call that ran past its deadline (`retry.deadlineMs`, all attempts and fallbacks together):
 * 504 `upstream_timeout`, naming the last upstream failure so the cause is not lost.
 */
export function deadlineExceeded(deadlineMs: number, lastError: unknown): StationError {
  const last = lastError instanceof Error ? `; last error: ${lastError.message}` : "";
  return new StationError({
    code: "upstream_timeout",
    status: 504,
    message: `No answer within the ${deadlineMs} ms this request may take (retry.deadlineMs), retries and fallbacks included${last}`,
    isRetryable: true,
    cause: lastError,
  });
}
