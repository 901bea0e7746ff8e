import type { FastifyPluginAsync, FastifyReply } from "fastify";
import { encodeCompletionsStream, fromCompletionsRequest, toCompletion } from "../../protocols/completions/completions-codec.ts";
import { type CompletionsBody, completionsBodySchema } from "../../protocols/completions/completions-schemas.ts";
import { toJsonSchema } from "../../protocols/to-json-schema.ts";
import type { Station } from "../../station/station.ts";
import { errorBody } from "../errors/error-body.ts";
import { registerSurfaceErrors } from "../errors/register-surface-errors.ts";
import { fastValidatorCompiler } from "../validation/compile-fast-validator.ts";
import { cancelOnDisconnect } from "./cancel-on-disconnect.ts";
import { writeGatewayReply } from "./write-gateway-reply.ts";

const completionsJsonSchema = toJsonSchema(completionsBodySchema);

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
      const input = fromCompletionsRequest(body);
      const cancellation = cancelOnDisconnect(reply);
      if (body.stream !== true) {
        const generation = await core.generate(input, cancellation);
        return writeGatewayReply(request, reply, {
          status: 200,
          contentType: "application/json",
          body: JSON.stringify(toCompletion(generation.result, generation.modelId)),
          upstreamMs: generation.upstreamMs,
          done: noop,
        });
      }
      const run = await core.stream(input, cancellation.signal);
      return writeGatewayReply(request, reply, {
        status: 200,
        contentType: "text/event-stream; charset=utf-8",
        body: encodeCompletionsStream(run.parts, run.modelId, body.stream_options?.include_usage === true),
        upstreamMs: run.upstreamMs,
        done: run.done,
      });
    },
  );
};

function noop(): void {}
