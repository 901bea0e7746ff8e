import { StationError } from "../../errors/station-error.ts";
import type { Cancellation } from "../../net/cancellation.ts";

/**
 * What a model call whose caller went away throws: 499 `client_closed_request`, which the HTTP
 * layer logs at info and the metrics count as a cancel, never as the provider's error.
 */
export function abortedError(signal: AbortSignal | Cancellation): StationError {
  return new StationError({ code: "client_closed_request", status: 499, message: "The client closed the request", cause: signal.reason });
}
