import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { errors } from "../../errors/errors.ts";
import { splitModelId } from "../../models/split-model-id.ts";
import { parseKeepAlive } from "../../providers/residency/parse-keep-alive.ts";
import type { Provider, RunningModel } from "../../providers/spec/index.ts";
import type { Station } from "../../station/station.ts";

const keepAlive = z
  .union([z.string(), z.number()])
  .optional()
  .describe('Ollama-style: seconds or a duration ("5m"); 0 = unload after use, -1 = forever');

const loadBody = z.strictObject({ model: z.string().min(1).describe('"<provider>/<model>", e.g. "local/qwen"'), keep_alive: keepAlive });
const unloadBody = z.strictObject({ model: z.string().min(1) });

const runningModel = z.object({
  id: z.string(),
  providerId: z.string(),
  name: z.string(),
  sizeBytes: z.number(),
  contextSize: z.number(),
  threads: z.number().optional(),
  sequences: z.object({ total: z.number(), busy: z.number(), waiting: z.number() }),
  loadedAt: z.string(),
  lastUsedAt: z.string(),
  expiresAt: z.string().nullable(),
  keepAliveMs: z.number(),
});

/** Model residency controls: POST /v1/system/models/load|unload, GET /v1/system/ps (like Ollama's /api/ps). */
export const systemModelsRoutes: FastifyPluginAsync<{ station: Station }> = async (plainApp, { station }) => {
  const app = plainApp.withTypeProvider<ZodTypeProvider>();

  const residentProvider = (model: string): { provider: Provider; modelName: string } => {
    const parts = splitModelId(model);
    const provider = parts === undefined ? undefined : station.registry.provider(parts.providerId);
    if (parts === undefined || provider === undefined) throw errors.modelNotFound(model);
    if (provider.loadModel === undefined || provider.unloadModel === undefined) {
      throw errors.unsupported(`The provider '${provider.id}' (${provider.type}) does not manage model loading`, "model");
    }
    return { provider, modelName: parts.modelName };
  };

  const running = (): RunningModel[] => station.registry.providers().flatMap((provider) => provider.runningModels?.() ?? []);

  app.post(
    "/v1/system/models/load",
    {
      schema: {
        tags: ["system"],
        summary: "Load a model into memory now (optionally with a keep-alive)",
        body: loadBody,
        response: { 200: z.object({ model: z.string(), status: z.literal("loaded"), running: runningModel.nullable() }) },
      },
    },
    async (request) => {
      const keepAliveMs = parseKeepAlive(request.body.keep_alive);
      const { provider, modelName } = residentProvider(request.body.model);
      await provider.loadModel?.(modelName, keepAliveMs === undefined ? {} : { keepAliveMs });
      return {
        model: request.body.model,
        status: "loaded" as const,
        running: running().find((entry) => entry.id === request.body.model) ?? null,
      };
    },
  );

  app.post(
    "/v1/system/models/unload",
    {
      schema: {
        tags: ["system"],
        summary: "Unload a model (after its in-flight requests finish)",
        body: unloadBody,
        response: { 200: z.object({ model: z.string(), status: z.literal("unloaded") }) },
      },
    },
    async (request) => {
      const { provider, modelName } = residentProvider(request.body.model);
      await provider.unloadModel?.(modelName);
      return { model: request.body.model, status: "unloaded" as const };
    },
  );

  app.get(
    "/v1/system/ps",
    {
      schema: {
        tags: ["system"],
        summary: "Models in memory: size, sequences busy, keep-alive expiry",
        response: { 200: z.object({ models: z.array(runningModel) }) },
      },
    },
    async () => ({ models: running() }),
  );
};
