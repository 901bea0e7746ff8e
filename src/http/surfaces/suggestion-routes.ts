import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { clientIdSchema } from "../../clients/client-settings-schemas.ts";
import { errors } from "../../errors/errors.ts";
import type { Station } from "../../station/station.ts";

const contentSchema = z.string().trim().min(1).max(10_000);
const titleSchema = z.string().max(200).nullable();
const idSchema = z.string().min(1).max(128);

/** Prompt suggestions: global ones, plus per-client ones when a client_id is given. */
export const suggestionRoutes: FastifyPluginAsync<{ station: Station }> = async (fastify, { station }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { suggestions } = station.chat;

  app.get(
    "/api/suggestions",
    { schema: { tags: ["suggestions"], summary: "List suggestions", querystring: z.object({ client_id: clientIdSchema.optional() }) } },
    async (request) => ({ suggestions: await suggestions.list(request.query.client_id) }),
  );

  app.post(
    "/api/suggestions",
    {
      schema: {
        tags: ["suggestions"],
        summary: "Add a suggestion",
        body: z.strictObject({ content: contentSchema, title: titleSchema.optional(), client_id: clientIdSchema.nullable().optional() }),
      },
    },
    async (request, reply) => reply.code(201).send(await suggestions.create(request.body)),
  );

  const updateBody = z
    .strictObject({ id: idSchema.optional(), content: contentSchema.optional(), title: titleSchema.optional() })
    .refine((body) => body.content !== undefined || body.title !== undefined, { message: "give 'content' or 'title' to change" });

  app.put(
    "/api/suggestions",
    { schema: { tags: ["suggestions"], summary: "Update a suggestion (id in the body)", body: updateBody } },
    async (request) => {
      if (request.body.id === undefined) throw errors.invalidRequest("'id' is required", "id");
      return suggestions.update(request.body.id, request.body);
    },
  );
  app.put(
    "/api/suggestions/:id",
    { schema: { tags: ["suggestions"], summary: "Update a suggestion", params: z.object({ id: idSchema }), body: updateBody } },
    async (request) => suggestions.update(request.params.id, request.body),
  );

  app.delete(
    "/api/suggestions",
    {
      schema: {
        tags: ["suggestions"],
        summary: "Delete a suggestion (id in the query string or the body)",
        querystring: z.object({ id: idSchema.optional() }),
        body: z.strictObject({ id: idSchema }).nullish(),
      },
    },
    async (request) => {
      const id = request.query.id ?? request.body?.id;
      if (id === undefined) throw errors.invalidRequest("'id' is required", "id");
      return { deleted: await suggestions.delete(id) };
    },
  );
  app.delete(
    "/api/suggestions/:id",
    { schema: { tags: ["suggestions"], summary: "Delete a suggestion", params: z.object({ id: idSchema }) } },
    async (request) => ({ deleted: await suggestions.delete(request.params.id) }),
  );
};
