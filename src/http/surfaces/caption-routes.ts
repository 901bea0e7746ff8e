import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { errors } from "../../errors/errors.ts";
import type { Station } from "../../station/station.ts";
import { collectText } from "../../vision/collect-text.ts";
import type { PreparedImage } from "../../vision/prepared-image.ts";
import { abortOnDisconnect } from "./abort-on-disconnect.ts";
import { registerMultipartForms } from "./register-multipart-forms.ts";

const imageData = z.string().min(1).describe("base64 of the image (a data: URL or an http(s) URL also works)");
const prompt = z.string().min(1).max(4000).optional().describe("Ask this instead of the default caption prompt");
const model = z.string().min(1).optional().describe("Vision model id (default: defaults.visionModel)");
const length = z.enum(["short", "normal", "long"]).default("normal");
const jobParams = z.object({ job_id: z.string().min(1).max(200) });

/**
 * The caption seed API: the durable job queue (/caption/generate, /caption/job/{id},
 * /caption/stats), synchronous captions (/caption, /describe, /describe/file) and
 * /model/info.
 */
export const captionRoutes: FastifyPluginAsync<{ station: Station }> = async (fastify, { station }) => {
  const forms = registerMultipartForms(fastify, {
    maxFileBytes: station.config.vision.maxImageBytes,
    fields: 10,
    parts: 20,
    fieldBytes: 64 * 1024,
  });
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { vision, captionQueue } = station;
  const tags = ["captions"];

  const describeImage = async (
    image: PreparedImage,
    options: { prompt?: string | undefined; model?: string | undefined; length: "short" | "normal" | "long" },
    signal: AbortSignal,
  ) => {
    const { id: modelId, hint } = vision.describe(options.model);
    const parts =
      options.prompt === undefined
        ? vision.caption({ model: modelId, image, length: options.length, signal })
        : vision.query({ model: modelId, image, question: options.prompt, signal });
    return { text: (await collectText(parts)).trim(), model: modelId, ...(hint === undefined ? {} : { hint }) };
  };

  app.post(
    "/caption/generate",
    {
      schema: {
        tags,
        summary: "Queue a caption job (202 with a job id; 429 + Retry-After when the queue is full)",
        body: z.object({ image_data: imageData, prompt, model, webhook_url: z.url().optional() }),
      },
    },
    async (request, reply) => {
      // Validate everything before the job exists: a bad image or model never enters the queue.
      const image = await vision.intake.fromReference(request.body.image_data, "image_data");
      vision.describe(request.body.model);
      const job = await captionQueue.submit({
        image: image.part,
        prompt: request.body.prompt,
        model: request.body.model,
        webhookUrl: request.body.webhook_url,
      });
      return reply.status(202).header("location", `/caption/job/${job.job_id}`).send(job);
    },
  );

  app.get(
    "/caption/job/:job_id",
    { schema: { tags, summary: "A caption job: status, result or error, webhook attempts", params: jobParams } },
    async (request) => captionQueue.get(request.params.job_id),
  );

  app.delete("/caption/job/:job_id", { schema: { tags, summary: "Cancel a queued or running job", params: jobParams } }, async (request) =>
    captionQueue.cancel(request.params.job_id),
  );

  app.get("/caption/stats", { schema: { tags, summary: "Queue counts, capacity, concurrency, throughput, latency" } }, async () =>
    captionQueue.stats(),
  );

  app.post(
    "/caption",
    { schema: { tags, summary: "Caption an image now (synchronous)", body: z.object({ image_data: imageData, prompt, model, length }) } },
    async (request, reply) => {
      const image = await vision.intake.fromReference(request.body.image_data, "image_data");
      const { text, model: used, hint } = await describeImage(image, request.body, abortOnDisconnect(reply));
      return { caption: text, model: used, ...(hint === undefined ? {} : { hint }) };
    },
  );

  app.post(
    "/describe",
    {
      schema: { tags, summary: "Describe an image (JSON, synchronous)", body: z.object({ image_data: imageData, prompt, model, length }) },
    },
    async (request, reply) => {
      const image = await vision.intake.fromReference(request.body.image_data, "image_data");
      const { text, model: used, hint } = await describeImage(image, request.body, abortOnDisconnect(reply));
      return {
        description: text,
        model: used,
        ...(hint === undefined ? {} : { hint }),
        ...(request.body.prompt === undefined ? {} : { prompt: request.body.prompt }),
      };
    },
  );

  app.post(
    "/describe/file",
    {
      schema: {
        tags,
        summary: "Describe an uploaded image (multipart: file, prompt?, model?, length?)",
        consumes: ["multipart/form-data"],
      },
    },
    async (request, reply) => {
      const { file, fields } = await forms.read(request, "the image in a 'file' field");
      if (file === undefined) throw errors.invalidRequest("The multipart body has no file part", "file");
      const options = z.object({ prompt, model, length }).safeParse(fields);
      if (!options.success)
        throw errors.invalidRequest(options.error.issues[0]?.message ?? "invalid fields", String(options.error.issues[0]?.path[0] ?? ""));
      const image = await vision.intake.fromBytes(file.bytes, "file");
      const { text, model: used, hint } = await describeImage(image, options.data, abortOnDisconnect(reply));
      return {
        description: text,
        model: used,
        ...(hint === undefined ? {} : { hint }),
        ...(options.data.prompt === undefined ? {} : { prompt: options.data.prompt }),
      };
    },
  );

  app.get("/model/info", { schema: { tags, summary: "The vision model in use and its capabilities" } }, async () => {
    const visionModels = station.registry
      .list()
      .filter((info) => info.capabilities.includes("vision") || info.capabilities.includes("ocr"))
      .map((info) => ({ id: info.id, capabilities: info.capabilities }));
    const defaultId = vision.defaultModelId();
    if (defaultId === undefined) {
      return {
        model: null,
        available: visionModels,
        hint: "No vision model: add a provider with a vision model or set defaults.visionModel.",
      };
    }
    const description = vision.describe(defaultId);
    return {
      model: description.id,
      kind: description.kind,
      provider: description.info?.providerId ?? defaultId.split("/", 1)[0],
      capabilities: description.capabilities,
      model_capabilities: description.info?.capabilities ?? [],
      max_image_bytes: station.config.vision.maxImageBytes,
      max_pixels: station.config.vision.maxPixels,
      queue: { capacity: station.config.queue.capacity, concurrency: station.config.queue.concurrency },
      available: visionModels,
    };
  });
};
