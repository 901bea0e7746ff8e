import { StationError } from "./station-error.ts";

/** Factories for the errors every surface shares, so codes stay consistent. */
export const errors = {
  invalidRequest(message: string, param?: string): StationError {
    return new StationError({ code: "invalid_request", status: 400, message, param });
  },
  notFound(what: string, id: string, code = "not_found"): StationError {
    return new StationError({ code, status: 404, message: `${what} '${id}' was not found` });
  },
  modelNotFound(model: string): StationError {
    return new StationError({
      code: "model_not_found",
      status: 404,
      param: "model",
      message: `The model '${model}' does not exist. GET /v1/models lists the models Station can serve.`,
    });
  },
  unsupported(message: string, param?: string): StationError {
    return new StationError({ code: "unsupported", status: 400, message, param });
  },
  unauthorized(message = "Missing or invalid API key. Send 'Authorization: Bearer <key>'."): StationError {
    return new StationError({ code: "invalid_api_key", status: 401, message });
  },
  forbidden(message: string): StationError {
    return new StationError({ code: "forbidden", status: 403, message });
  },
  conflict(message: string): StationError {
    return new StationError({ code: "conflict", status: 409, message });
  },
  busy(message: string, retryAfterSeconds: number): StationError {
    return new StationError({ code: "busy", status: 503, message, retryAfterSeconds, isRetryable: true });
  },
  queueFull(message: string, retryAfterSeconds: number): StationError {
    return new StationError({ code: "queue_full", status: 429, message, retryAfterSeconds, isRetryable: true });
  },
  internal(message = "Internal server error", cause?: unknown): StationError {
    return new StationError({ code: "internal_error", status: 500, message, cause });
  },
};
