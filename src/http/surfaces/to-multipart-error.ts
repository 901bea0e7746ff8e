import { isStationError, StationError } from "../../errors/station-error.ts";

/**
 * What an error thrown while reading a multipart body means to the client. The parser (busboy)
 * reports a body it cannot read (no or a wrong boundary, no closing boundary, a part cut short)
 * as a plain Error, which would be a 500: it is a 400. @fastify/multipart's own errors (limits,
 * prototype names) keep their 4xx; a file over `maxFileBytes` is a 413 that says the limit.
 */
export function toMultipartError(error: unknown, maxFileBytes: number): unknown {
  if (isStationError(error)) return error;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (code === "FST_REQ_FILE_TOO_LARGE") {
    return new StationError({
      code: "payload_too_large",
      status: 413,
      param: "file",
      message: `The file is larger than ${maxFileBytes} bytes`,
    });
  }
  // @fastify/multipart's own errors (limits, prototype names) carry their 4xx already.
  if (typeof statusCode === "number" && statusCode >= 400 && statusCode < 500) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new StationError({
    code: "invalid_multipart",
    status: 400,
    message: `The multipart/form-data body could not be read (${reason}): check its boundary and that every part is complete`,
    cause: error,
  });
}
