import type { FastifyPluginAsync, FastifyReply } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { ModelTarget } from "../../models/resilience/model-target.ts";
import { encodeResponsesStream } from "../../protocols/responses/encode-responses-stream.ts";
import { fromResponsesRequest } from "../../protocols/responses/from-responses-request.ts";
import { itemId, type ResponseItem, toInputItems, toOutputItems } from "../../protocols/responses/response-items.ts";
import { responsesErrorEvent } from "../../protocols/responses/responses-error-event.ts";
import { responsesRelay } from "../../protocols/responses/responses-relay.ts";
import { inputItemsQuerySchema, type ResponsesBody, responsesBodySchema } from "../../protocols/responses/responses-schemas.ts";
import { type ResponseState, toResponseObject } from "../../protocols/responses/to-response-object.ts";
import { toJsonSchema } from "../../protocols/to-json-schema.ts";
import type { Station } from "../../station/station.ts";
import { errorBody } from "../errors/error-body.ts";
import { registerSurfaceErrors } from "../errors/register-surface-errors.ts";
import { fastValidatorCompiler } from "../validation/compile-fast-validator.ts";
import { replyWithChat } from "./reply-with-chat.ts";

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

  fastify.post(
    "/v1/responses",
    {
      schema: { tags: ["openai"], summary: "Create a model response (Responses API; JSON or event stream)", body: responsesBodySchema },
      validatorCompiler: fastValidatorCompiler(responsesJsonSchema),
    },
    async (request, reply: FastifyReply) => {
      const body = request.body as ResponsesBody;
      const inputItems = toInputItems(body.input);
      const { modelId, resolved } = await core.resolve(body.model);
      const previousId = body.previous_response_id;
      // A previous response Station did not store may be a relaying upstream's own: relayed with it, when every target relays.
      const upstreamsOwn =
        previousId != null &&
        resolved.targets.every(relaysNatively) &&
        !hasImages(inputItems) &&
        (await store.get(previousId)) === undefined;
      const earlier = previousId == null || upstreamsOwn ? [] : await store.history(previousId);
      const input = fromResponsesRequest(body, [...earlier, ...inputItems]);
      const relay =
        (previousId == null && resolved.targets.some(relaysNatively)) || upstreamsOwn ? { protocol: responsesRelay, body } : undefined;
      const state: ResponseState = {
        id: itemId("resp"),
        createdAt: Math.floor(Date.now() / 1000),
        model: modelId,
        status: "in_progress",
        output: [],
      };
      const saveObject = async (response: Record<string, unknown>, json: string): Promise<void> => {
        if (body.store === false) return;
        const stored = response as Record<string, unknown> & { output: ResponseItem[] };
        await store.save({ id: state.id, previousResponseId: body.previous_response_id ?? null, inputItems, response: stored }, json);
      };
      const save = async (finished: ResponseState): Promise<void> => {
        if (body.store === false) return;
        const response = toResponseObject(finished, body);
        await saveObject(response, JSON.stringify(response));
      };
      return replyWithChat(request, reply, core, input, body.stream === true, {
        whole: async (generation) => {
          state.output = toOutputItems(generation.result);
          state.usage = generation.result.usage;
          state.status = generation.result.finishReason === "length" ? "incomplete" : "completed";
          // One object and one serialization serve both the store and the reply.
          const response = toResponseObject(state, body);
          const json = JSON.stringify(response);
          await saveObject(response, json);
          return json;
        },
        stream: (run) => encodeResponsesStream(run.parts, { body, state, onEnd: save, fail: run.done }),
        errorFrame: responsesErrorEvent,
        ...(relay === undefined ? {} : { relay }),
      });
    },
  );

  app.get(
    "/v1/responses/:id",
    { schema: { tags: ["openai"], summary: "A stored response", params: idParams } },
    async (request) => (await store.require(request.params.id)).response,
  );

  app.delete(
    "/v1/responses/:id",
    { schema: { tags: ["openai"], summary: "Delete a stored response", params: idParams } },
    async (request) => {
      if (!(await store.delete(request.params.id))) await store.require(request.params.id);
      return { id: request.params.id, object: "response", deleted: true };
    },
  );

  app.get(
    "/v1/responses/:id/input_items",
    { schema: { tags: ["openai"], summary: "The input items of a stored response", params: idParams, querystring: inputItemsQuerySchema } },
    async (request) => {
      const stored = await store.require(request.params.id);
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
