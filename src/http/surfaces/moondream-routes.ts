import type { FastifyPluginAsync } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Station } from "../../station/station.ts";
import { collectText } from "../../vision/collect-text.ts";
import { abortOnDisconnect } from "./abort-on-disconnect.ts";
import { writeMoondreamStream } from "./write-moondream-stream.ts";

const imageUrl = z.string().min(1).describe("data: URL, http(s) URL or base64 of the image");
const model = z.string().min(1).optional().describe("Station extension: which vision model serves (default: defaults.visionModel)");
// The official client also sends `variant` and `settings`; they are accepted and left to the model.
const captionBody = z.looseObject({
  image_url: imageUrl,
  length: z.enum(["short", "normal", "long"]).default("normal"),
  stream: z.boolean().default(false),
  model,
});
const queryBody = z.looseObject({
  image_url: imageUrl,
  question: z.string().min(1),
  stream: z.boolean().default(false),
  reasoning: z.boolean().optional(),
  model,
});
const locateBody = z.looseObject({ image_url: imageUrl, object: z.string().min(1), model });
const box = z.object({ x_min: z.number(), y_min: z.number(), x_max: z.number(), y_max: z.number() });

/** The Moondream-compatible API: the official `moondream` client works against it unchanged. */
export const moondreamRoutes: FastifyPluginAsync<{ station: Station }> = async (fastify, { station }) => {
  const app = fastify.withTypeProvider<ZodTypeProvider>();
  const { vision } = station;
  const tags = ["moondream"];

  app.post(
    "/v1/caption",
    { schema: { tags, summary: "Caption an image (JSON or SSE stream)", body: captionBody } },
    async (request, reply) => {
      const image = await vision.intake.fromReference(request.body.image_url, "image_url");
      const { id: model, hint } = vision.describe(request.body.model);
      const parts = vision.caption({ model, image, length: request.body.length, signal: abortOnDisconnect(reply) });
      if (request.body.stream) return writeMoondreamStream(reply, parts);
      // `model` and `hint` are Station's extensions: which model answered, and (OCR alone) that it cannot caption.
      return { caption: await collectText(parts), request_id: request.id, model, ...(hint === undefined ? {} : { hint }) };
    },
  );

  app.post(
    "/v1/query",
    { schema: { tags, summary: "Answer a question about an image (JSON or SSE stream)", body: queryBody } },
    async (request, reply) => {
      const image = await vision.intake.fromReference(request.body.image_url, "image_url");
      const { id: model, hint } = vision.describe(request.body.model);
      const parts = vision.query({
        model,
        image,
        question: request.body.question,
        ...(request.body.reasoning === undefined ? {} : { reasoning: request.body.reasoning }),
        signal: abortOnDisconnect(reply),
      });
      if (request.body.stream) return writeMoondreamStream(reply, parts);
      return { answer: await collectText(parts), request_id: request.id, model, ...(hint === undefined ? {} : { hint }) };
    },
  );

  app.post(
    "/v1/detect",
    {
      schema: {
        tags,
        summary: "Bounding boxes of an object, normalised 0-1",
        body: locateBody,
        response: { 200: z.object({ objects: z.array(box), request_id: z.string() }) },
      },
    },
    async (request, reply) => {
      const image = await vision.intake.fromReference(request.body.image_url, "image_url");
      const objects = await vision.detect({
        model: request.body.model,
        image,
        object: request.body.object,
        signal: abortOnDisconnect(reply),
      });
      return { objects, request_id: request.id };
    },
  );

  app.post(
    "/v1/point",
    {
      schema: {
        tags,
        summary: "Centre points of an object, normalised 0-1",
        body: locateBody,
        response: {
          200: z.object({ points: z.array(z.object({ x: z.number(), y: z.number() })), count: z.number(), request_id: z.string() }),
        },
      },
    },
    async (request, reply) => {
      const image = await vision.intake.fromReference(request.body.image_url, "image_url");
      const points = await vision.point({
        model: request.body.model,
        image,
        object: request.body.object,
        signal: abortOnDisconnect(reply),
      });
      return { points, count: points.length, request_id: request.id };
    },
  );
};
