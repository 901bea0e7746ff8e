import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { errors } from "../../errors/errors.ts";
import { filterModels, modelFacets, sortedModels, toOpenAiModel } from "../../gateway/model-catalog.ts";
import {
  type ChatCompletionBody,
  chatCompletionBodySchema,
  chatCompletionJsonSchema,
  embeddingsBodySchema,
  imageGenerationBodySchema,
} from "../../gateway/openai-schemas.ts";
import type { Capability } from "../../providers/spec/index.ts";
import type { Station } from "../../station/station.ts";
import { fastValidatorCompiler } from "../validation/compile-fast-validator.ts";
import { abortOnDisconnect } from "./abort-on-disconnect.ts";
import { cancelOnDisconnect } from "./cancel-on-disconnect.ts";
import { writeGatewayReply } from "./write-gateway-reply.ts";

const capabilityNames = [
  "chat",
  "vision",
  "tools",
  "embeddings",
  "ocr",
  "detect",
  "point",
  "images",
  "transcribe",
  "translate",
  "speak",
] as const;

const modelsQuery = z.object({
  provider: z.string().optional(),
  capability: z.enum(capabilityNames).optional(),
  q: z.string().optional(),
  min_context: z.coerce.number().int().min(0).optional(),
  state: z.enum(["loaded", "not-loaded", "available"]).optional(),
  refresh: z.enum(["true", "false", "1", "0"]).optional(),
});

/**
 * The OpenAI-compatible API (/v1/models, /v1/chat/completions, /v1/embeddings,
 * /v1/images/generations), Station's model catalogue (/api/models, /api/models/metadata)
 * and Prometheus metrics (/metrics).
 */
export const openAiRoutes: FastifyPluginAsync<{ station: Station }> = async (fastify, { station }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { registry } = station;
  const { gateway } = station;
  const created = Math.floor(station.startedAt / 1000);

  fastify.post(
    "/v1/chat/completions",
    {
      schema: { tags: ["openai"], summary: "Chat completion (JSON or SSE stream)", body: chatCompletionBodySchema },
      validatorCompiler: fastValidatorCompiler(chatCompletionJsonSchema),
    },
    async (request, reply) => {
      const result = await gateway.chatCompletion(request.body as ChatCompletionBody, cancelOnDisconnect(reply));
      return writeGatewayReply(request, reply, result);
    },
  );

  app.post(
    "/v1/embeddings",
    { schema: { tags: ["openai"], summary: "Embeddings (encoding_format float or base64)", body: embeddingsBodySchema } },
    async (request, reply) => reply.send(await gateway.embeddings(request.body, abortOnDisconnect(reply))),
  );

  app.post(
    "/v1/images/generations",
    { schema: { tags: ["openai"], summary: "Image generation through a provider with an image model", body: imageGenerationBodySchema } },
    async (request, reply) => reply.send(await gateway.imageGenerations(request.body, abortOnDisconnect(reply))),
  );

  app.get("/v1/models", { schema: { tags: ["openai"], summary: "Models Station can serve (OpenAI shape)" } }, async () => ({
    object: "list",
    data: sortedModels(registry).map((model) => toOpenAiModel(model, created)),
  }));

  app.get("/v1/models/*", { schema: { tags: ["openai"], summary: "One model (ids may contain '/')" } }, async (request) => {
    const id = (request.params as { "*": string })["*"];
    const model =
      registry.get(id) ?? (await registry.resolve(id).then((resolved) => resolved.info ?? registry.get(resolved.targets[0]?.id ?? "")));
    if (model === undefined) throw errors.modelNotFound(id);
    return toOpenAiModel(model, created);
  });

  app.get(
    "/api/models",
    {
      schema: {
        tags: ["models"],
        summary: "Models with capabilities, context length, provider, state; filterable",
        querystring: modelsQuery,
      },
    },
    async (request) => {
      const query = request.query;
      if (query.refresh === "true" || query.refresh === "1") await registry.refresh();
      const models = filterModels(sortedModels(registry), {
        provider: query.provider,
        capability: query.capability as Capability | undefined,
        search: query.q,
        minContext: query.min_context,
        state: query.state,
      });
      return { models, total: models.length };
    },
  );

  app.get(
    "/api/models/metadata",
    { schema: { tags: ["models"], summary: "Facets: providers, capabilities, context-length ranges" } },
    async () => modelFacets(registry),
  );

  app.get("/metrics", { schema: { tags: ["system"], summary: "Prometheus metrics" } }, async (_request, reply) =>
    reply.header("content-type", station.metrics.contentType).send(await station.metrics.text()),
  );
};
