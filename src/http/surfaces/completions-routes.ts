import type { FastifyPluginAsync, FastifyReply } from "fastify";
import { encodeCompletionsStream, fromCompletionsRequest, toCompletionJson } from "../../protocols/completions/completions-codec.ts";
import { type CompletionsBody, completionsBodySchema } from "../../protocols/completions/completions-schemas.ts";
import { toJsonSchema } from "../../protocols/to-json-schema.ts";
import type { Station } from "../../station/station.ts";
import { errorBody } from "../errors/error-body.ts";
import { registerSurfaceErrors } from "../errors/register-surface-errors.ts";
import { fastValidatorCompiler } from "../validation/compile-fast-validator.ts";
import { replyWithChat } from "./reply-with-chat.ts";

const completionsJsonSchema = () => toJsonSchema(completionsBodySchema);

/** OpenAI's legacy POST /v1/completions (prompt, suffix for fill-in-the-middle, stream, stop, max_tokens) over any chat model. */
export const completionsRoutes: FastifyPluginAsync<{ station: Station }> = async (fastify, { station }) => {
  registerSurfaceErrors(fastify, (error) => errorBody("openai", error));
  const core = station.chatCore;

  fastify.post(
    "/v1/completions",
    {
      schema: {
        tags: ["openai"],
        summary: "Legacy text completion (suffix: fill-in-the-middle; JSON or SSE)",
        body: completionsBodySchema,
      },
      validatorCompiler: fastValidatorCompiler(completionsJsonSchema),
    },
    async (request, reply: FastifyReply) => {
      const body = request.body as CompletionsBody;
      return replyWithChat(request, reply, core, fromCompletionsRequest(body), body.stream === true, {
        whole: (generation) => toCompletionJson(generation.result, generation.modelId),
        stream: (run) => encodeCompletionsStream(run.parts, run.modelId, body.stream_options?.include_usage === true),
      });
    },
  );
};
