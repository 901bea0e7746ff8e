import type { FastifyPluginAsync, FastifyReply } from "fastify";
import { estimateTokens } from "../../chat-core/estimate-tokens.ts";
import { anthropicErrorBody } from "../../protocols/anthropic/anthropic-error-body.ts";
import { anthropicMessagesRelay } from "../../protocols/anthropic/anthropic-messages-relay.ts";
import {
  type AnthropicCountTokensBody,
  type AnthropicMessagesBody,
  anthropicCountTokensBodySchema,
  anthropicMessagesBodySchema,
} from "../../protocols/anthropic/anthropic-schemas.ts";
import { anthropicErrorEvent, encodeAnthropicStream } from "../../protocols/anthropic/encode-anthropic-stream.ts";
import { fromAnthropicRequest } from "../../protocols/anthropic/from-anthropic-request.ts";
import { toAnthropicMessageJson } from "../../protocols/anthropic/to-anthropic-message.ts";
import { toJsonSchema } from "../../protocols/to-json-schema.ts";
import type { Station } from "../../station/station.ts";
import { registerSurfaceErrors } from "../errors/register-surface-errors.ts";
import { fastValidatorCompiler } from "../validation/compile-fast-validator.ts";
import { replyWithChat } from "./reply-with-chat.ts";

const messagesJsonSchema = () => toJsonSchema(anthropicMessagesBodySchema);
const countJsonSchema = () => toJsonSchema(anthropicCountTokensBodySchema);

/**
 * Anthropic's Messages API over any model (`@anthropic-ai/sdk`, Claude Code): POST /v1/messages
 * (JSON or its event stream) and /v1/messages/count_tokens. `x-api-key` carries Station's key;
 * every error is in Anthropic's shape.
 */
export const anthropicRoutes: FastifyPluginAsync<{ station: Station }> = async (fastify, { station }) => {
  registerSurfaceErrors(fastify, anthropicErrorBody);
  const core = station.chatCore;

  fastify.post(
    "/v1/messages",
    {
      schema: {
        tags: ["anthropic"],
        summary: "Anthropic Messages (JSON or event stream) over any model",
        body: anthropicMessagesBodySchema,
      },
      validatorCompiler: fastValidatorCompiler(messagesJsonSchema),
    },
    async (request, reply: FastifyReply) => {
      const body = request.body as AnthropicMessagesBody;
      return replyWithChat(request, reply, core, fromAnthropicRequest(body), body.stream === true, {
        whole: (generation) => toAnthropicMessageJson(generation.result, body.model),
        stream: (run) => encodeAnthropicStream(run.parts, body.model),
        errorFrame: anthropicErrorEvent,
        relay: { protocol: anthropicMessagesRelay, body },
      });
    },
  );

  fastify.post(
    "/v1/messages/count_tokens",
    {
      schema: {
        tags: ["anthropic"],
        summary: "Estimated input tokens of a Messages request (text length / 4 plus overheads)",
        body: anthropicCountTokensBodySchema,
      },
      validatorCompiler: fastValidatorCompiler(countJsonSchema),
    },
    async (request) => {
      const body = request.body as AnthropicCountTokensBody;
      await core.resolve(body.model);
      return { input_tokens: estimateTokens(fromAnthropicRequest(body)) };
    },
  );
};
