import { StationError } from "../errors/station-error.ts";

/** The error every SSRF refusal uses, so callers and clients see one stable code. */
export function urlNotAllowed(url: string, reason: string, param?: string): StationError {
  return new StationError({
    code: "url_not_allowed",
    status: 400,
    param,
    message: `The URL '${redactUrl(url)}' is not allowed: ${reason}. Loopback, link-local and private addresses are refused unless security.allowPrivateNetworks is set.`,
  });
}

/** Drops user:password and the query string (which may carry tokens) before a URL goes into a message. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    parsed.search = "";
    return parsed.toString();
  } catch {
    return url.length > 200 ? `${url.slice(0, 200)}…` : url;
  }
}
