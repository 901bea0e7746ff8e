import { StationError } from "./station-error.ts";

/**
 * What a stream that failed midway reports to its client: Station's own error as it is, anything
 * else (an engine's or upstream's raw error, whose message may carry internals) as a generic
 * upstream failure.
 */
export function streamFailure(error: unknown): StationError {
  return error instanceof StationError
    ? error
    : new StationError({ code: "upstream_error", status: 502, message: "The upstream stream failed" });
}
