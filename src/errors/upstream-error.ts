import { StationError } from "./station-error.ts";

export interface UpstreamErrorOptions {
  message: string;
  /** The provider id the call went to. */
  provider: string;
  url?: string | undefined;
  /** Upstream HTTP status; undefined for connection-level failures. */
  statusCode?: number | undefined;
  /** Upstream body, truncated; must not contain credentials. */
  responseBody?: string | undefined;
  isRetryable: boolean;
  retryAfterSeconds?: number | undefined;
  /** True once any byte of a streamed reply has gone to the client: never retry then. */
  streamStarted?: boolean;
  /** The upstream did not connect, answer or keep streaming in time (504 upstream_timeout). */
  timedOut?: boolean;
  /**
   * The timeout that fired was the time left of the call's deadline (`retry.deadlineMs`), which
   * the resilience layer handed the attempt, not the provider's own: the call's deadline has
   * passed, whichever of the two timers ran first.
   */
  atDeadline?: boolean;
  /** Overrides the code the status implies, e.g. `upstream_error` for a failure inside a stream (no HTTP status). */
  code?: string;
  cause?: unknown;
}

/** A failure talking to a provider (HTTP error, refused connection, timeout, broken stream). */
export class UpstreamError extends StationError {
  readonly provider: string;
  readonly url: string | undefined;
  readonly statusCode: number | undefined;
  readonly responseBody: string | undefined;
  readonly streamStarted: boolean;
  readonly atDeadline: boolean;

  constructor(options: UpstreamErrorOptions) {
    super({
      code: options.code ?? (options.timedOut ? "upstream_timeout" : upstreamCode(options.statusCode)),
      status: options.timedOut ? 504 : upstreamStatus(options.statusCode),
      message: options.message,
      isRetryable: options.isRetryable,
      retryAfterSeconds: options.retryAfterSeconds,
      cause: options.cause,
    });
    this.name = "UpstreamError";
    this.provider = options.provider;
    this.url = options.url;
    this.statusCode = options.statusCode;
    this.responseBody = options.responseBody;
    this.streamStarted = options.streamStarted ?? false;
    this.atDeadline = options.atDeadline ?? false;
  }
}

function upstreamCode(statusCode: number | undefined): string {
  if (statusCode === undefined) return "upstream_unavailable";
  if (statusCode === 429) return "upstream_rate_limited";
  if (statusCode === 408) return "upstream_timeout";
  if (statusCode >= 500) return "upstream_error";
  return "upstream_rejected";
}

/** 4xx from upstream that are the caller's fault pass through; everything else is a 502/503/504. */
function upstreamStatus(statusCode: number | undefined): number {
  if (statusCode === undefined) return 502;
  if (statusCode === 429) return 429;
  if (statusCode === 408) return 504;
  if (statusCode >= 400 && statusCode < 500) return statusCode;
  return 502;
}

/** Statuses that are worth retrying (OpenAI / LiteLLM convention). */
export function isRetryableStatus(statusCode: number): boolean {
  return statusCode === 408 || statusCode === 409 || statusCode === 429 || statusCode >= 500;
}
