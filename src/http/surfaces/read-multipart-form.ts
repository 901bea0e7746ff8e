import type { FastifyRequest } from "fastify";
import { isStationError, StationError } from "../../errors/station-error.ts";

export interface MultipartForm {
  /** The form's file part (the plugin's `files` limit keeps it to one), undefined when it has none. */
  file: { bytes: Buffer; filename: string; fieldname: string } | undefined;
  /** Its text fields, by name. */
  fields: Record<string, string>;
}

/**
 * Reads a whole multipart/form-data body (the caller checked `request.isMultipart()`). The parser
 * (busboy) reports a body it cannot read (no or a wrong boundary, no closing boundary, a part cut
 * short) as a plain Error, which would be a 500: here it is the 400 it is. The plugin's own limit
 * errors keep their status; a file over `maxFileBytes` is a 413 that says the limit.
 */
export async function readMultipartForm(request: FastifyRequest, maxFileBytes: number): Promise<MultipartForm> {
  const form: MultipartForm = { file: undefined, fields: {} };
  try {
    for await (const part of request.parts()) {
      if (part.type === "file") {
        const bytes = await part.toBuffer();
        form.file ??= { bytes, filename: part.filename, fieldname: part.fieldname };
      } else if (typeof part.value === "string") {
        form.fields[part.fieldname] = part.value;
      }
    }
  } catch (error) {
    throw toMultipartError(error, maxFileBytes);
  }
  return form;
}

function toMultipartError(error: unknown, maxFileBytes: number): unknown {
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
