import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { errors } from "../../errors/errors.ts";
import type { Station } from "../../station/station.ts";
import { isImageType, isTextType } from "../../uploads/sniff-media-type.ts";
import { registerMultipartForms } from "./register-multipart-forms.ts";

const uploadParams = z.object({ id: z.string().min(1).max(128) });

/** File uploads for chat attachments: stored content-addressed, typed by their bytes, served back as what they are. */
export const uploadRoutes: FastifyPluginAsync<{ station: Station }> = async (fastify, { station }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { uploads } = station.chat;
  const maxBytes = station.config.uploads.maxBytes;
  // Registered inside this plugin only, so other surfaces keep their own multipart settings.
  const forms = registerMultipartForms(app, { maxFileBytes: maxBytes, fields: 10, parts: 20, fieldBytes: 64 * 1024 });

  app.post(
    "/api/uploads",
    { schema: { tags: ["uploads"], summary: `Upload one file (multipart/form-data, field 'file', at most ${maxBytes} bytes)` } },
    async (request, reply) => {
      const { file } = await forms.read(request, "the file");
      if (file === undefined) throw errors.invalidRequest("No file in the form: send it in a field named 'file'", "file");
      const record = await uploads.save(file.bytes, file.filename);
      return reply.code(201).send({ ...record, url: `/api/uploads/${record.id}/content` });
    },
  );

  app.get("/api/uploads/:id", { schema: { tags: ["uploads"], summary: "An upload's metadata", params: uploadParams } }, async (request) => {
    const record = await uploads.get(request.params.id);
    return { ...record, url: `/api/uploads/${record.id}/content` };
  });

  app.get(
    "/api/uploads/:id/content",
    { schema: { tags: ["uploads"], summary: "An upload's bytes, with the content type sniffed at upload", params: uploadParams } },
    async (request, reply) => {
      const { record, bytes } = await uploads.read(request.params.id);
      const inline = isImageType(record.media_type) || isTextType(record.media_type) || record.media_type === "application/pdf";
      const filename = record.filename ?? record.id;
      const asciiFilename = filename.replace(/[^\x20-\x7e]|["\\]/g, "_");
      return reply
        .header("content-type", record.media_type)
        .header("x-content-type-options", "nosniff")
        .header("content-security-policy", "default-src 'none'; sandbox")
        .header(
          "content-disposition",
          `${inline ? "inline" : "attachment"}; filename="${asciiFilename}"; filename*=UTF-8''${encodeURIComponent(filename)}`,
        )
        .header("etag", `"${record.id}"`)
        .header("cache-control", "private, max-age=31536000, immutable")
        .send(bytes);
    },
  );
};
