import { StationError } from "../errors/station-error.ts";

/** SQLSTATE classes and Node socket codes that mean "the database is not there right now". */
const connectionCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENOTFOUND",
  "57P01",
  "57P02",
  "57P03",
]);
const connectionMessages =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection .*closed/i;

/**
 * A query that failed because PostgreSQL is down, restarting or unreachable: a 503 the client
 * may retry. The pool reconnects on its own, so the same request succeeds once it is back.
 * Anything else (a constraint, a bug) is not this, and stays a 500.
 */
export function asDatabaseUnavailable(error: unknown): StationError | undefined {
  const code = (error as { code?: unknown })?.code;
  const message = (error as { message?: unknown })?.message;
  const sqlState = typeof code === "string" ? code : "";
  if (!connectionCodes.has(sqlState) && !sqlState.startsWith("08") && !(typeof message === "string" && connectionMessages.test(message))) {
    return undefined;
  }
  return new StationError({
    code: "database_unavailable",
    status: 503,
    message: "The database is unavailable; try again shortly",
    retryAfterSeconds: 2,
    isRetryable: true,
    cause: error,
  });
}
