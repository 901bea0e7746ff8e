import { StationError } from "../errors/station-error.ts";
import { UpstreamError } from "../errors/upstream-error.ts";
import type { ChatMessage, ChatModel, ImagePart } from "../providers/spec/chat-model.ts";
import type { BoundingBox, CaptionLength, Point, VisionModel } from "../providers/spec/vision-model.ts";

const captionPrompts: Record<CaptionLength, string> = {
  short: "Write a short caption for this image: one sentence, no preamble.",
  normal: "Describe this image in two or three sentences. Answer with the description only.",
  long: "Describe this image in detail: subjects, setting, colours, text and anything notable. Answer with the description only.",
};

export interface ChatVisionModelOptions {
  /** The model can follow a JSON-schema response format well enough to locate objects. */
  canLocate: boolean;
}

/**
 * Moondream skills over any vision-capable chat model: caption and query by prompting;
 * detect and point by a JSON-schema structured-output prompt, only for models declared able
 * to locate objects (capability `detect`/`point`), since most chat models guess coordinates.
 */
export function createChatVisionModel(chat: ChatModel, options: ChatVisionModelOptions): VisionModel {
  const ask = (image: ImagePart, prompt: string, signal: AbortSignal | undefined): AsyncIterable<string> =>
    streamText(chat, [{ role: "user", content: [image, { type: "text", text: prompt }] }], signal);

  const locate = async <T>(
    image: ImagePart,
    prompt: string,
    schema: Record<string, unknown>,
    signal: AbortSignal | undefined,
  ): Promise<T> => {
    const result = await chat.generate({
      model: chat.modelName,
      messages: [{ role: "user", content: [image, { type: "text", text: prompt }] }],
      responseFormat: { type: "json_schema", name: "locations", schema, strict: true },
      temperature: 0,
      signal,
    });
    try {
      return JSON.parse(result.text) as T;
    } catch {
      throw new UpstreamError({
        provider: chat.providerId,
        message: `The model '${chat.id}' did not answer with the JSON the location prompt asks for`,
        statusCode: 502,
        isRetryable: true,
      });
    }
  };

  const model: VisionModel = {
    id: chat.id,
    caption: (request) => ask(request.image, captionPrompts[request.length], request.signal),
    query: (request) => ask(request.image, request.question, request.signal),
  };
  if (!options.canLocate) return model;
  return {
    ...model,
    async detect(request) {
      const answer = await locate<{ objects?: unknown }>(
        request.image,
        `Find every "${request.object}" in the image. For each, give its bounding box as fractions of the image width and height (0 to 1): x_min, y_min, x_max, y_max. Return an empty list if there is none.`,
        boxesSchema,
        request.signal,
      );
      return (Array.isArray(answer.objects) ? answer.objects : []).flatMap(toBox);
    },
    async point(request) {
      const answer = await locate<{ points?: unknown }>(
        request.image,
        `Point at the centre of every "${request.object}" in the image, as fractions of the image width and height (0 to 1). Return an empty list if there is none.`,
        pointsSchema,
        request.signal,
      );
      return (Array.isArray(answer.points) ? answer.points : []).flatMap(toPoint);
    },
  };
}

async function* streamText(chat: ChatModel, messages: ChatMessage[], signal: AbortSignal | undefined): AsyncIterable<string> {
  for await (const part of chat.stream({ model: chat.modelName, messages, signal })) {
    if (part.type === "text-delta") yield part.text;
    else if (part.type === "error") throw part.error;
  }
}

const unit = { type: "number", minimum: 0, maximum: 1 };
const boxesSchema = {
  type: "object",
  additionalProperties: false,
  required: ["objects"],
  properties: {
    objects: {
      type: "array",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["x_min", "y_min", "x_max", "y_max"],
        properties: { x_min: unit, y_min: unit, x_max: unit, y_max: unit },
      },
    },
  },
};
const pointsSchema = {
  type: "object",
  additionalProperties: false,
  required: ["points"],
  properties: {
    points: {
      type: "array",
      items: { type: "object", additionalProperties: false, required: ["x", "y"], properties: { x: unit, y: unit } },
    },
  },
};

const clamp = (value: unknown): number | undefined =>
  typeof value === "number" && Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : undefined;

function toBox(value: unknown): BoundingBox[] {
  const box = value as Record<string, unknown>;
  const [xMin, yMin, xMax, yMax] = [clamp(box?.x_min), clamp(box?.y_min), clamp(box?.x_max), clamp(box?.y_max)];
  if (xMin === undefined || yMin === undefined || xMax === undefined || yMax === undefined) return [];
  return [{ x_min: Math.min(xMin, xMax), y_min: Math.min(yMin, yMax), x_max: Math.max(xMin, xMax), y_max: Math.max(yMin, yMax) }];
}

function toPoint(value: unknown): Point[] {
  const point = value as Record<string, unknown>;
  const [x, y] = [clamp(point?.x), clamp(point?.y)];
  return x === undefined || y === undefined ? [] : [{ x, y }];
}

export function cannotLocate(modelId: string, skill: "detect" | "point"): StationError {
  return new StationError({
    code: "unsupported",
    status: 400,
    param: "model",
    message:
      `The model '${modelId}' cannot ${skill === "detect" ? "detect objects" : "point at objects"}. Use a Moondream model, ` +
      `or a chat model listed with capability '${skill}' in its provider's 'models' config.`,
  });
}
