import type { FastifyPluginAsync, FastifyReply } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { encodeResponsesStream } from "../../protocols/responses/encode-responses-stream.ts";
import { fromResponsesRequest } from "../../protocols/responses/from-responses-request.ts";
import { itemId, type ResponseItem, toInputItems, toOutputItems } from "../../protocols/responses/response-items.ts";
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

/**
 * OpenAI's Responses API over any model: POST /v1/responses (JSON or its event stream), and for
 * stored responses GET and DELETE /v1/responses/{id} and GET /v1/responses/{id}/input_items.
 * `previous_response_id` continues a stored conversation. Errors in OpenAI's shape.
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
      const earlier = body.previous_response_id == null ? [] : await store.history(body.previous_response_id);
      const input = fromResponsesRequest(body, [...earlier, ...inputItems]);
      const { modelId } = await core.resolve(body.model);
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
