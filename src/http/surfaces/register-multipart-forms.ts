import { Busboy, type BusboyInstance } from "@fastify/busboy";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { errors } from "../../errors/errors.ts";
import { StationError } from "../../errors/station-error.ts";

export interface MultipartForm {
  /** The form's file part (at most one is read), undefined when it has none. */
  file: { bytes: Buffer; filename: string | undefined; fieldname: string } | undefined;
  /** Its text fields, by name (the last one wins when a name repeats). */
  fields: Record<string, string>;
  /** Fields named `name[]` (OpenAI's arrays: `timestamp_granularities[]`), collected by `name`. */
  lists: Record<string, string[]>;
}

export interface MultipartFormLimits {
  maxFileBytes: number;
  /** Text fields, parts in all, and the longest field value in bytes. */
  fields: number;
  parts: number;
  fieldBytes: number;
}

export interface MultipartForms {
  /** The request's form, parsed from its buffered body; a non-multipart request is a 415 that says `expected`. */
  read(request: FastifyRequest, expected: string): Promise<MultipartForm>;
}

/**
 * multipart/form-data for the routes of one plugin, read whole: Fastify buffers the body (413 past
 * the limit, told by Content-Length before a byte is read), busboy parses that one buffer in one
 * pass (its boundary search is Buffer.indexOf), and the file comes back as a view into the body:
 * no copy. Streaming parts through @fastify/multipart's async iterator cost ~1 ms more per 400 kB
 * upload, which Station's routes never used (each collected its file whole anyway).
 */
export function registerMultipartForms(app: FastifyInstance, limits: MultipartFormLimits): MultipartForms {
  // Room for the boundaries, part headers and fields around the largest file.
  const bodyLimit = limits.maxFileBytes + limits.fields * limits.fieldBytes + 64 * 1024;
  app.addContentTypeParser("multipart/form-data", { parseAs: "buffer", bodyLimit }, (_request, body, done) => done(null, body));
  return {
    async read(request, expected) {
      const body = request.body;
      if (!Buffer.isBuffer(body))
        throw new StationError({ code: "unsupported_media_type", status: 415, message: `Send ${expected} as multipart/form-data` });
      // An empty body is a form without parts (the route says what is missing), not a broken one.
      if (body.byteLength === 0) return { file: undefined, fields: Object.create(null), lists: Object.create(null) };
      return parseForm(body, request.headers["content-type"] ?? "", limits);
    },
  };
}

function parseForm(body: Buffer, contentType: string, limits: MultipartFormLimits): Promise<MultipartForm> {
  return new Promise((resolve, reject) => {
    const form: MultipartForm = { file: undefined, fields: Object.create(null), lists: Object.create(null) };
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      reject(error);
    };
    let parser: BusboyInstance;
    try {
      parser = Busboy({
        headers: { "content-type": contentType },
        limits: { fileSize: limits.maxFileBytes, files: 1, fields: limits.fields, parts: limits.parts, fieldSize: limits.fieldBytes },
      });
    } catch (error) {
      // No boundary, or not multipart at all: busboy says so as it starts.
      fail(unreadable(error));
      return;
    }
    const tooMany = (what: string, limit: number) => () =>
      fail(new StationError({ code: "payload_too_large", status: 413, message: `The form has more than ${limit} ${what}` }));
    parser.on("partsLimit", tooMany("parts", limits.parts));
    parser.on("filesLimit", tooMany("files", 1));
    parser.on("fieldsLimit", tooMany("fields", limits.fields));
    parser.on("file", (fieldname: string, stream: NodeJS.ReadableStream & { truncated?: boolean }, filename: string | undefined) => {
      const chunks: Buffer[] = [];
      stream.on("data", (chunk: Buffer) => chunks.push(chunk));
      // A part cut short is reported on the part's own stream as well as the parser's.
      stream.on("error", (error: unknown) => fail(unreadable(error)));
      stream.on("limit", () =>
        fail(
          new StationError({
            code: "payload_too_large",
            status: 413,
            param: fieldname,
            message: `The file is larger than ${limits.maxFileBytes} bytes`,
          }),
        ),
      );
      stream.on("end", () => {
        // A body parsed in one pass gives the file as one view into it; concat only when it came in pieces.
        const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
        form.file ??= { bytes, filename: filename || undefined, fieldname };
      });
    });
    parser.on("field", (name: string, value: string, _nameTruncated: boolean, valueTruncated: boolean) => {
      if (valueTruncated) {
        fail(errors.invalidRequest(`The field '${name}' is longer than ${limits.fieldBytes} bytes`, name));
        return;
      }
      if (name.endsWith("[]")) {
        const listName = name.slice(0, -2);
        form.lists[listName] = [...(form.lists[listName] ?? []), value];
      } else form.fields[name] = value;
    });
    parser.on("error", (error: unknown) => fail(unreadable(error)));
    parser.on("finish", () => {
      if (!failed) resolve(form);
    });
    parser.end(body);
  });
}

function unreadable(error: unknown): StationError {
  const reason = error instanceof Error ? error.message : String(error);
  return new StationError({
    code: "invalid_multipart",
    status: 400,
    message: `The multipart/form-data body could not be read (${reason}): check its boundary and that every part is complete`,
    cause: error,
  });
}
