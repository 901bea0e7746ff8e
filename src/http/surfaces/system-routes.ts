import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import type { Station } from "../../station/station.ts";

const providerHealth = z.object({
  id: z.string(),
  type: z.string(),
  status: z.enum(["ok", "degraded", "down"]),
  detail: z.string().optional(),
});

const healthResponse = z.object({
  status: z.enum(["ok", "degraded"]),
  version: z.string(),
  uptimeSeconds: z.number(),
  activeModels: z.array(z.string()),
  providers: z.array(providerHealth),
  hint: z.string().optional(),
});

/** /health: liveness plus each provider's health (open even when API keys are set). */
export const systemRoutes: FastifyPluginAsync<{ station: Station }> = async (app, { station }) => {
  app.get(
    "/health",
    { schema: { tags: ["system"], summary: "Status, version, active models and provider health", response: { 200: healthResponse } } },
    async () => station.health(),
  );
};
