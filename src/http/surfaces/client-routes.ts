import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { clientIdSchema, type SettingsSection, settingsSections } from "../../clients/client-settings-schemas.ts";
import type { Station } from "../../station/station.ts";

const clientParams = z.object({ client_id: clientIdSchema });
const sectionParams = z.object({ client_id: clientIdSchema, section: z.enum(settingsSections as [SettingsSection, ...SettingsSection[]]) });
const presetNameSchema = z.string().min(1).max(128);
const presetParams = z.object({ client_id: clientIdSchema, name: presetNameSchema });
const presetIndexParams = z.object({ client_id: clientIdSchema, index: z.coerce.number().int().min(0) });

/** Per-client settings (llm, tts, stt, ui) and presets. */
export const clientRoutes: FastifyPluginAsync<{ station: Station }> = async (fastify, { station }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { clients } = station.chat;

  app.get(
    "/api/clients/:client_id",
    { schema: { tags: ["clients"], summary: "All of a client's settings, its presets and active preset", params: clientParams } },
    async (request) => clients.get(request.params.client_id),
  );

  app.get(
    "/api/clients/:client_id/:section",
    { schema: { tags: ["clients"], summary: "One settings section (defaults until first written)", params: sectionParams } },
    async (request) => clients.getSection(request.params.client_id, request.params.section),
  );

  app.put(
    "/api/clients/:client_id/:section",
    {
      schema: {
        tags: ["clients"],
        summary: "Update a settings section: the fields given replace the stored ones; unknown fields are refused",
        params: sectionParams,
        body: z.record(z.string(), z.unknown()),
      },
    },
    async (request) => clients.putSection(request.params.client_id, request.params.section, request.body),
  );

  app.post(
    "/api/clients/:client_id/:section/reset",
    { schema: { tags: ["clients"], summary: "Reset a settings section to its defaults", params: sectionParams } },
    async (request) => clients.resetSection(request.params.client_id, request.params.section),
  );

  app.get(
    "/api/clients/:client_id/presets",
    { schema: { tags: ["clients"], summary: "The client's presets, in creation order (index = position)", params: clientParams } },
    async (request) => ({ presets: await clients.listPresets(request.params.client_id) }),
  );

  app.post(
    "/api/clients/:client_id/presets",
    {
      schema: {
        tags: ["clients"],
        summary: "Save the client's current settings as a named preset",
        params: clientParams,
        body: z.strictObject({ name: presetNameSchema, description: z.string().max(2000).optional() }),
      },
    },
    async (request, reply) =>
      reply.code(201).send(await clients.createPreset(request.params.client_id, request.body.name, request.body.description)),
  );

  app.get(
    "/api/clients/:client_id/presets/by-name/:name",
    { schema: { tags: ["clients"], summary: "One preset by name", params: presetParams } },
    async (request) => clients.getPreset(request.params.client_id, request.params.name),
  );

  app.post(
    "/api/clients/:client_id/presets/by-name/:name/apply",
    { schema: { tags: ["clients"], summary: "Copy a preset's settings into the client's settings", params: presetParams } },
    async (request) => clients.applyPreset(request.params.client_id, request.params.name),
  );

  app.post(
    "/api/clients/:client_id/presets/by-name/:name/set-active",
    {
      schema: { tags: ["clients"], summary: "Make a preset the active default: chat turns use its LLM settings", params: presetParams },
    },
    async (request) => clients.setActivePreset(request.params.client_id, request.params.name),
  );

  app.delete(
    "/api/clients/:client_id/presets/active",
    { schema: { tags: ["clients"], summary: "Clear the active preset", params: clientParams } },
    async (request) => clients.setActivePreset(request.params.client_id, null),
  );

  app.delete(
    "/api/clients/:client_id/presets/:index",
    { schema: { tags: ["clients"], summary: "Delete the preset at a position (0-based, as listed)", params: presetIndexParams } },
    async (request) => ({ deleted: await clients.deletePresetAt(request.params.client_id, request.params.index) }),
  );
};
