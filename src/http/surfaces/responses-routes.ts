import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ModelTarget } from "../../models/resilience/model-target.ts";
import { fromResponsesRequest } from "../../protocols/responses/from-responses-request.ts";
import { itemId, type ResponseItem, toInputItems } from "../../protocols/responses/response-items.ts";
import { responseNotFound } from "../../protocols/responses/response-store.ts";
import { responsesRelay } from "../../protocols/responses/responses-relay.ts";
import { inputItemsQuerySchema, type ResponsesBody, responsesBodySchema } from "../../protocols/responses/responses-schemas.ts";
import type { ResponseState } from "../../protocols/responses/to-response-object.ts";
import { fromRelayingUpstream } from "../../protocols/responses/upstream-responses.ts";
import { toJsonSchema } from "../../protocols/to-json-schema.ts";
import type { Station } from "../../station/station.ts";
import { errorBody } from "../errors/error-body.ts";
import { registerSurfaceErrors } from "../errors/register-surface-errors.ts";
import { fastValidatorCompiler } from "../validation/compile-fast-validator.ts";
import { cancelOnDisconnect } from "./cancel-on-disconnect.ts";
import { replyWithChat } from "./reply-with-chat.ts";
import { ResponsesCodec } from "./responses-codec.ts";

const responsesJsonSchema = () => toJsonSchema(responsesBodySchema);
const idParams = z.object({ id: z.string().min(1) });

const relaysNatively = (target: ModelTarget): boolean => target.provider.responsesPassthrough !== undefined;

function hasImages(items: readonly ResponseItem[]): boolean {
  return items.some((item) => Array.isArray(item.content) && item.content.some((part: { type?: unknown }) => part.type === "input_image"));
}

/**
 * OpenAI's Responses API over any model: POST /v1/responses (JSON or its event stream), and for
 * stored responses GET and DELETE /v1/responses/{id} and GET /v1/responses/{id}/input_items.
 * `previous_response_id` continues a stored conversation. Errors in OpenAI's shape. To an `openai`
 * provider with `responses: true` a request Station need not translate (no images, no previous
 * response Station stored) is relayed natively; such a response is the upstream's, not stored here.
 */
export const responsesRoutes: FastifyPluginAsync<{ station: Station }> = async (fastify, { station }) => {
  registerSurfaceErrors(fastify, (error) => errorBody("openai", error));
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const core = station.chatCore;
  const store = station.responses;
  const { registry } = station;

  fastify.post(
    "/v1/responses",
    {
      schema: { tags: ["openai"], summary: "Create a model response (Responses API; JSON or event stream)", body: responsesBodySchema },
      validatorCompiler: fastValidatorCompiler(responsesJsonSchema),
    },
    async (request, reply: FastifyReply) => {
      const body = request.body as ResponsesBody;
      const stored = body.store !== false;
      const previousId = body.previous_response_id;
      // Items are what a stored response keeps; a string input that nothing stores or continues is one user turn as it is.
      const plainText = !stored && previousId == null && typeof body.input === "string" ? body.input : undefined;
      const inputItems = plainText === undefined ? toInputItems(body.input) : [];
      let earlier: ResponseItem[] = [];
      let relay: ResponsesCodec["relay"];
      if (previousId == null) {
        // Offered, and the core decides per target: a target that does not relay is translated.
        relay = { protocol: responsesRelay, body };
      } else {
        const { resolved } = await core.resolve(body.model);
        // A previous response Station did not store may be a relaying upstream's own: relayed with it, when every target relays.
        const upstreamsOwn =
          resolved.targets.every(relaysNatively) && !hasImages(inputItems) && (await store.get(previousId)) === undefined;
        if (upstreamsOwn) relay = { protocol: responsesRelay, body };
        else earlier = await store.history(previousId);
      }
      const input = fromResponsesRequest(body, plainText ?? (earlier.length === 0 ? inputItems : [...earlier, ...inputItems]));
      const state: ResponseState = {
        id: itemId("resp"),
        createdAt: Math.floor(Date.now() / 1000),
        // The core's model id (defaults.chatModel when the request names none), set when it answers.
        model: "",
        status: "in_progress",
        output: [],
      };
      const codec = new ResponsesCodec(body, state, inputItems, stored ? store : undefined);
      if (relay !== undefined) codec.relay = relay;
      return replyWithChat(request, reply, core, input, body.stream === true, codec);
    },
  );

  /**
   * A response Station did not store may be a relaying upstream's: its reply, as it is, when one
   * holds it; else Station's 404.
   */
  const forward = async (request: FastifyRequest, reply: FastifyReply, method: "GET" | "DELETE", path: string, id: string) => {
    const query = request.url.indexOf("?");
    const upstreamPath = query < 0 ? path : path + request.url.slice(query);
    const found = await fromRelayingUpstream(registry.providers(), method, upstreamPath, cancelOnDisconnect(reply));
    if (found === undefined) throw responseNotFound(id);
    const contentType = found.headers["content-type"];
    return reply
      .code(found.statusCode)
      .type(typeof contentType === "string" ? contentType : "application/json")
      .send(found.body);
  };
  const upstreamPathOf = (id: string, rest = "") => `/responses/${encodeURIComponent(id)}${rest}`;

  app.get(
    "/v1/responses/:id",
    { schema: { tags: ["openai"], summary: "A response (stored here, or held by the relaying upstream that made it)", params: idParams } },
    async (request, reply) => {
      const { id } = request.params;
      const stored = await store.get(id);
      return stored === undefined ? forward(request, reply, "GET", upstreamPathOf(id), id) : stored.response;
    },
  );

  app.delete(
    "/v1/responses/:id",
    {
      schema: {
        tags: ["openai"],
        summary: "Delete a response (stored here, or held by the relaying upstream that made it)",
        params: idParams,
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      if (await store.delete(id)) return { id, object: "response", deleted: true };
      await forward(request, reply, "DELETE", upstreamPathOf(id), id);
      return reply;
    },
  );

  app.get(
    "/v1/responses/:id/input_items",
    { schema: { tags: ["openai"], summary: "The input items of a stored response", params: idParams, querystring: inputItemsQuerySchema } },
    async (request, reply) => {
      const stored = await store.get(request.params.id);
      if (stored === undefined) return forward(request, reply, "GET", upstreamPathOf(request.params.id, "/input_items"), request.params.id);
      const { limit = 20, order = "desc", after, before } = request.query;
      let items = order === "desc" ? [...stored.inputItems].reverse() : stored.inputItems;
      if (after !== undefined) items = items.slice(items.findIndex((item) => item.id === after) + 1);
      if (before !== undefined) {
        const end = items.findIndex((item) => item.id === before);
        if (end >= 0) items = items.slice(0, end);
      }
      const page = items.slice(0, limit);
      return {
        object: "list",
        data: page,
        first_id: page[0]?.id ?? null,
        last_id: page.at(-1)?.id ?? null,
        has_more: items.length > limit,
      };
    },
  );
};
