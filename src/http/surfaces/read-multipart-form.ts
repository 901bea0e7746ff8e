import type { FastifyRequest } from "fastify";
import { toMultipartError } from "./to-multipart-error.ts";

export interface MultipartForm {
  /** The form's file part (the plugin's `files` limit keeps it to one), undefined when it has none. */
  file: { bytes: Buffer; filename: string; fieldname: string } | undefined;
  /** Its text fields, by name. */
  fields: Record<string, string>;
}

/**
 * Reads a whole multipart/form-data body (the caller checked `request.isMultipart()`); a body the
 * parser cannot read is a 400, a file over `maxFileBytes` a 413 (see toMultipartError).
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
