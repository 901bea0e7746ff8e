import { z } from "zod";
import type { BoundingBox, CaptionLength, Point, VisionModel, VisionRequestBase } from "../spec/vision-model.ts";
import { streamFromCallback } from "../stream-from-callback.ts";
import { florence2ReadText } from "./florence2-read-text.ts";
import type { Florence2Answer, Florence2Task } from "./load-florence2.ts";

export interface Florence2VisionModelOptions {
  id: string;
  maxNewTokens: number;
  /** Runs one task on the loaded model (acquire, bounded slots, release around it). */
  run(task: Omit<Florence2Task, "maxNewTokens" | "contentHash"> & { contentHash: string | undefined }): Promise<Florence2Answer>;
}

const captionTasks: Record<CaptionLength, string> = {
  short: "<CAPTION>",
  normal: "<DETAILED_CAPTION>",
  long: "<MORE_DETAILED_CAPTION>",
};

const groundingSchema = z.object({ bboxes: z.array(z.array(z.number()).length(4)) });

/** Florence-2 emits location tokens in captions now and then; a caption is plain text. */
const withoutLocations = (text: string) => text.replace(/<loc_\d+>/g, "");

/**
 * Florence-2 as a Moondream-style vision model: caption by its three caption tasks, query by
 * the question as a free-form prompt (Florence-2 was trained on task prompts, so free questions
 * get short, caption-like answers; the task tokens work as questions too, e.g. "<OCR>" for the text
 * alone), detect by phrase grounding, point at the centres of the boxes, read text by
 * `<OCR_WITH_REGION>` (a line per region, florence2-read-text.ts).
 */
export function createFlorence2VisionModel(options: Florence2VisionModelOptions): VisionModel {
  const stream = (request: VisionRequestBase, task: string, input?: string): AsyncIterable<string> =>
    streamFromCallback((onText) =>
      options.run({
        task,
        ...(input === undefined ? {} : { input }),
        image: request.image,
        contentHash: request.contentHash,
        signal: request.signal,
        onText: (text) => onText(withoutLocations(text)),
      }),
    );

  const boxes = async (request: VisionRequestBase & { object: string }): Promise<BoundingBox[]> => {
    const answer = await options.run({
      task: "<CAPTION_TO_PHRASE_GROUNDING>",
      input: request.object,
      image: request.image,
      contentHash: request.contentHash,
      signal: request.signal,
    });
    const parsed = groundingSchema.safeParse(answer.parsed);
    if (!parsed.success) return [];
    const clamp = (value: number) => Math.min(1, Math.max(0, value));
    return parsed.data.bboxes.map(([xMin = 0, yMin = 0, xMax = 0, yMax = 0]) => ({
      x_min: clamp(xMin),
      y_min: clamp(yMin),
      x_max: clamp(xMax),
      y_max: clamp(yMax),
    }));
  };

  return {
    id: options.id,
    caption: (request) => stream(request, captionTasks[request.length]),
    query: (request) => stream(request, request.question),
    detect: boxes,
    async point(request): Promise<Point[]> {
      return (await boxes(request)).map((box) => ({ x: (box.x_min + box.x_max) / 2, y: (box.y_min + box.y_max) / 2 }));
    },
    async readText(request) {
      const answer = await options.run({
        task: "<OCR_WITH_REGION>",
        image: request.image,
        contentHash: request.contentHash,
        signal: request.signal,
      });
      return florence2ReadText(answer.parsed, answer.confidence);
    },
  };
}
