import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import type { Station } from "../../station/station.ts";
import { runDiagnostics } from "../../system/diagnostics.ts";
import { backendHealthSchema } from "./backend-health-schema.ts";

const providerHealth = z.object({
  id: z.string(),
  type: z.string(),
  status: z.enum(["ok", "degraded", "down"]),
  detail: z.string().optional(),
});

const healthResponse = z.object({
  status: z.enum(["ok", "degraded", "unavailable"]),
  version: z.string(),
  uptimeSeconds: z.number(),
  activeModels: z.array(z.string()),
  providers: z.array(providerHealth),
  hint: z.string().optional(),
  visionHint: z.string().optional(),
  ...backendHealthSchema.shape,
});

/** /health (open even when API keys are set) and /diagnostics/scan. */
export const systemRoutes: FastifyPluginAsync<{ station: Station }> = async (app, { station }) => {
  app.get(
    "/health",
    {
      schema: {
        tags: ["system"],
        summary: "Status, version, active models, provider health, database and queue (503 while either is unreachable)",
        response: { 200: healthResponse, 503: healthResponse },
      },
    },
    async (_request, reply) => {
      const health = await station.health();
      // A load balancer takes an instance that cannot reach PostgreSQL or Redis out of rotation.
      return reply.code(health.status === "unavailable" ? 503 : 200).send(health);
    },
  );

  app.get(
    "/diagnostics/scan",
    {
      schema: { tags: ["system"], summary: "Diagnostics: Node, data dir, provider reachability and models (what `station doctor` prints)" },
    },
    async () => runDiagnostics(station.config, { skipPort: true, registry: station.registry }),
  );
};
