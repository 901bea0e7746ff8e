import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { clientIdSchema } from "../../clients/client-settings-schemas.ts";
import { errors } from "../../errors/errors.ts";
import type { Station } from "../../station/station.ts";
import { writeSseEvents } from "./write-sse-events.ts";

/** An upload id, or an object naming one (`id` or `upload_id`; other fields such as `type` or `name` are ignored). */
const attachmentSchema = z.union([
  z.string().min(1).max(128),
  z
    .object({ id: z.string().min(1).max(128).optional(), upload_id: z.string().min(1).max(128).optional() })
    .refine((attachment) => attachment.id !== undefined || attachment.upload_id !== undefined, { message: "an attachment needs an 'id'" }),
]);

const chatStreamBody = z.strictObject({
  client_id: clientIdSchema,
  session_id: z.string().min(1).max(128).optional(),
  message: z.string().max(1_000_000).optional(),
  attachments: z.array(attachmentSchema).max(16).optional(),
  /** A spoken turn: base64 of an audio file (or a data: URL), transcribed with the client's stt settings. */
  audio: z.strictObject({ data: z.string().min(1).max(40_000_000) }).optional(),
  /** Speak the reply with the client's tts settings. */
  speak: z.boolean().optional(),
  model: z.string().min(1).max(256).optional(),
  preset: z.string().min(1).max(128).optional(),
});

const sessionParams = z.object({ id: z.string().min(1).max(128) });
const messageParams = z.object({ id: z.string().min(1).max(128), msg_id: z.string().min(1).max(128) });
const sessionsQuery = z.object({
  client_id: clientIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

/**
 * The chat application's conversation API: POST /api/chat/stream (SSE; the MCP tool loop runs
 * here on the server), sessions with their messages, and generation records with usage and cost.
 */
export const chatRoutes: FastifyPluginAsync<{ station: Station }> = async (fastify, { station }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { orchestrator, conversations } = station.chat;

  app.post(
    "/api/chat/stream",
    {
      schema: {
        tags: ["chat"],
        summary: "Chat with the server-side MCP tool loop, streamed as Server-Sent Events",
        description:
          "Events: session, transcript (voice turns), message.delta, tool_call.started, tool_call.result, tool_call.error, usage, audio and audio.done (speak: true), done, error. " +
          "Input errors are answered with JSON before the stream starts.",
        body: chatStreamBody,
      },
    },
    async (request, reply) => {
      const body = request.body;
      const attachments = body.attachments?.map((attachment) =>
        typeof attachment === "string" ? attachment : ((attachment.upload_id ?? attachment.id) as string),
      );
      const turn = await orchestrator.prepare({ ...body, attachments });
      await writeSseEvents(request, reply, (signal) => orchestrator.run(turn, signal));
    },
  );

  app.get(
    "/api/chat/generation/:id",
    { schema: { tags: ["chat"], summary: "Usage and cost of one chat turn", params: sessionParams } },
    async (request) => {
      const generation = await conversations.getGeneration(request.params.id);
      if (generation === undefined) throw errors.notFound("Generation", request.params.id, "generation_not_found");
      return generation;
    },
  );

  app.get(
    "/api/chat/sessions",
    { schema: { tags: ["chat"], summary: "Chat sessions, most recently active first (paginated)", querystring: sessionsQuery } },
    async (request) => {
      const { client_id, limit, offset } = request.query;
      const { sessions, total } = await conversations.listSessions({
        ...(client_id === undefined ? {} : { clientId: client_id }),
        limit,
        offset,
      });
      return { sessions, total, limit, offset, has_more: offset + sessions.length < total };
    },
  );

  app.get(
    "/api/chat/session/:id",
    { schema: { tags: ["chat"], summary: "A session with all its messages", params: sessionParams } },
    async (request) => {
      const session = await conversations.getSession(request.params.id);
      if (session === undefined) throw errors.notFound("Session", request.params.id, "session_not_found");
      return { ...session, messages: await conversations.listMessages(session.id) };
    },
  );

  app.delete(
    "/api/chat/session/:id",
    { schema: { tags: ["chat"], summary: "Delete a session and its messages", params: sessionParams } },
    async (request) => {
      const session = await conversations.getSession(request.params.id);
      if (session === undefined) throw errors.notFound("Session", request.params.id, "session_not_found");
      await conversations.deleteSession(session.id);
      return { id: session.id, deleted: true };
    },
  );

  app.delete(
    "/api/chat/session/:id/messages/:msg_id",
    { schema: { tags: ["chat"], summary: "Delete one message; the others stay as they are", params: messageParams } },
    async (request) => {
      const session = await conversations.getSession(request.params.id);
      if (session === undefined) throw errors.notFound("Session", request.params.id, "session_not_found");
      await conversations.deleteMessage(session.id, request.params.msg_id);
      return { id: request.params.msg_id, session_id: session.id, deleted: true };
    },
  );
};
