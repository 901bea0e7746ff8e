/**
 * The one error type every Station layer throws. Each API surface maps it to its own
 * wire shape in exactly one place (see src/http/errors/).
 */
export interface StationErrorOptions {
  /** Stable machine-readable code, e.g. "model_not_found". Part of the public contract. */
  code: string;
  /** HTTP status a surface should answer with. */
  status: number;
  message: string;
  /** Safe to try the same call again (possibly on another target). */
  isRetryable?: boolean;
  /** Which request field was at fault, if any (OpenAI's `param`). */
  param?: string | undefined;
  /** Seconds the caller should wait before retrying (sent as Retry-After). */
  retryAfterSeconds?: number | undefined;
  cause?: unknown;
  /** Extra, already-sanitised details for the caller. Never put secrets here. */
  details?: Record<string, unknown> | undefined;
}

export class StationError extends Error {
  readonly code: string;
  readonly status: number;
  readonly isRetryable: boolean;
  readonly param: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(options: StationErrorOptions) {
    super(options.message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "StationError";
    this.code = options.code;
    this.status = options.status;
    this.isRetryable = options.isRetryable ?? false;
    this.param = options.param;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.details = options.details;
  }
}

export function isStationError(error: unknown): error is StationError {
  return error instanceof StationError;
}
