import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import { schedulerNames } from "../../gateway/image-schedulers.ts";
import { generateFieldOf, listImageSchedulers } from "../../gateway/list-image-schedulers.ts";
import type { ImageGenerationOptions } from "../../providers/spec/index.ts";
import type { Station } from "../../station/station.ts";
import { abortOnDisconnect } from "./abort-on-disconnect.ts";

const side = z.number().int().min(64).max(4096).multipleOf(8);

const generateBody = z
  .strictObject({
    prompt: z.string().min(1).max(32_000),
    negative_prompt: z.string().max(32_000).optional(),
    model: z.string().min(1).optional().describe("a model id or route; omitted: the first model that can generate images"),
    width: side.optional().describe("pixels, a multiple of 8; give width and height together"),
    height: side.optional(),
    steps: z.number().int().min(1).max(150).optional(),
    guidance_scale: z.number().min(0).max(30).optional().describe("classifier-free guidance (CFG scale)"),
    scheduler: z.enum(schedulerNames, { error: `unknown scheduler; valid: ${schedulerNames.join(", ")} (GET /v1/schedulers)` }).optional(),
    seed: z.number().int().min(-1).max(4_294_967_295).optional().describe("-1 or omitted: Station draws one when the model takes seeds"),
    n: z.number().int().min(1).max(10).optional(),
  })
  .refine((body) => (body.width === undefined) === (body.height === undefined), {
    message: "give width and height together",
    path: ["width"],
  });

const generateResponse = z.object({
  created: z.number().int(),
  model: z.string(),
  images: z.array(z.object({ data: z.string().describe("base64"), media_type: z.string() })),
  seed: z.number().int().nullable().describe("the seed the backend was given; null when the model takes none"),
  ignored: z.array(z.string()).describe("request fields the model's provider cannot pass on (see GET /v1/schedulers)"),
  timings: z.object({ total_ms: z.number(), generation_ms: z.number() }),
});

const schedulersResponse = z.object({
  schedulers: z.array(z.object({ name: z.enum(schedulerNames), label: z.string(), description: z.string() })),
  default: z.null().describe("Station sends no scheduler unless asked: the backend's own default applies"),
  models: z.array(
    z.object({
      model: z.string(),
      dialect: z.string(),
      scheduler_support: z.enum(["honoured", "passed-through", "ignored"]),
      schedulers: z.array(z.enum(schedulerNames)),
      default: z.null(),
      parameters: z.array(z.string()),
    }),
  ),
});

/** POST /v1/generate (model-station style image generation) and GET /v1/schedulers. */
export const imageGenerationRoutes: FastifyPluginAsync<{ station: Station }> = async (plainApp, { station }) => {
  const app = plainApp.withTypeProvider<ZodTypeProvider>();
  const { generateImages } = station;

  app.post(
    "/v1/generate",
    {
      schema: {
        tags: ["images"],
        summary: "Generate images (prompt, negative prompt, size, steps, guidance, scheduler, seed) through a provider with an image model",
        body: generateBody,
        response: { 200: generateResponse },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const options: ImageGenerationOptions = {};
      if (body.negative_prompt !== undefined) options.negativePrompt = body.negative_prompt;
      if (body.steps !== undefined) options.steps = body.steps;
      if (body.guidance_scale !== undefined) options.guidanceScale = body.guidance_scale;
      if (body.scheduler !== undefined) options.scheduler = body.scheduler;
      if (body.seed !== undefined && body.seed >= 0) options.seed = body.seed;
      const generated = await generateImages(
        {
          model: body.model,
          prompt: body.prompt,
          n: body.n,
          size: body.width === undefined || body.height === undefined ? undefined : `${body.width}x${body.height}`,
          options,
          drawSeed: true,
        },
        abortOnDisconnect(reply),
      );
      return {
        created: Math.floor(Date.now() / 1000),
        model: generated.model,
        images: generated.images.map((image) => ({ data: Buffer.from(image.data).toString("base64"), media_type: image.mediaType })),
        seed: generated.seed,
        ignored: generated.ignored.map((option) => generateFieldOf[option]),
        timings: { total_ms: generated.timings.totalMs, generation_ms: generated.timings.generationMs },
      };
    },
  );

  app.get(
    "/v1/schedulers",
    {
      schema: {
        tags: ["images"],
        summary: "Schedulers (samplers) /v1/generate accepts, and what each image model does with them",
        response: { 200: schedulersResponse },
      },
    },
    async () => listImageSchedulers(station.registry),
  );
};
