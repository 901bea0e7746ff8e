import type { FastifyPluginAsync } from "fastify";
import { z } from "zod";
import type { Station } from "../../station/station.ts";
import { runDiagnostics } from "../../system/diagnostics.ts";

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
  visionHint: z.string().optional(),
});

/** /health (open even when API keys are set) and /diagnostics/scan. */
export const systemRoutes: FastifyPluginAsync<{ station: Station }> = async (app, { station }) => {
  app.get(
    "/health",
    { schema: { tags: ["system"], summary: "Status, version, active models and provider health", response: { 200: healthResponse } } },
    async () => station.health(),
  );

  app.get(
    "/diagnostics/scan",
    {
      schema: { tags: ["system"], summary: "Diagnostics: Node, data dir, provider reachability and models (what `station doctor` prints)" },
    },
    async () => runDiagnostics(station.config, { skipPort: true, registry: station.registry }),
  );
};
