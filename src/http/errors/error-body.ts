import { isStationError, type StationError } from "../../errors/station-error.ts";

export type Surface = "openai" | "station";

/** Which wire shape a URL's errors use: OpenAI's under /v1, Station's everywhere else. */
export function surfaceOf(url: string): Surface {
  return url.startsWith("/v1/") || url === "/v1" ? "openai" : "station";
}

/** OpenAI's `type` values for each status class, as the official clients read them. */
function openAiType(status: number): string {
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 404) return "not_found_error";
  if (status === 429) return "rate_limit_error";
  if (status >= 500) return "server_error";
  return "invalid_request_error";
}

export function errorBody(surface: Surface, error: StationError): unknown {
  if (surface === "openai") {
    return {
      error: {
        message: error.message,
        type: openAiType(error.status),
        code: error.code,
        param: error.param ?? null,
      },
    };
  }
  return {
    error: {
      code: error.code,
      message: error.message,
      ...(error.param === undefined ? {} : { param: error.param }),
      ...(error.details === undefined ? {} : { details: error.details }),
    },
  };
}

export { isStationError };
