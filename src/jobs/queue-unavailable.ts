import { isStationError, StationError } from "../errors/station-error.ts";

/**
 * A queue call that failed because Redis is down, unreachable or too slow: a 503 the client
 * may retry, saying which service is missing. Nothing was accepted (BullMQ adds a job in one
 * script, so a failed add leaves nothing half-written).
 */
export function toQueueUnavailable(error: unknown): Error {
  if (isStationError(error)) return error;
  return new StationError({
    code: "queue_unavailable",
    status: 503,
    message: "The job queue (Redis) is unavailable; try again shortly",
    retryAfterSeconds: 2,
    isRetryable: true,
    cause: error,
  });
}
