import { isStationError, StationError } from "../errors/station-error.ts";
import { redactUrl } from "./url-not-allowed.ts";

/** Maps a failed outbound request to a 400 StationError (url_not_allowed from the connect-time check, url_timeout, url_unreachable). */
export function toNetworkError(error: unknown, url: URL, timeoutSignal: AbortSignal | undefined, param: string | undefined): unknown {
  const cause = (error as { cause?: unknown })?.cause;
  if (isStationError(cause)) return cause;
  if (isStationError(error)) return error;
  if (timeoutSignal?.aborted) {
    return new StationError({
      code: "url_timeout",
      status: 400,
      param,
      message: `Fetching '${redactUrl(url.toString())}' timed out`,
      cause: error,
    });
  }
  if ((error as Error)?.name === "AbortError") return error;
  const reason = (cause as { code?: string } | undefined)?.code ?? (cause as Error | undefined)?.message ?? "connection failed";
  return new StationError({
    code: "url_unreachable",
    status: 400,
    param,
    message: `Could not fetch '${redactUrl(url.toString())}': ${reason}`,
    cause: error,
  });
}
