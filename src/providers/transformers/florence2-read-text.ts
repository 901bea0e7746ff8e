import { z } from "zod";
import type { ReadTextResult, TextLine } from "../spec/vision-model.ts";
import type { Florence2Confidence } from "./florence2-token-confidence.ts";

/** transformers.js's post-processing of `<OCR_WITH_REGION>`: labels and quadrilaterals x1,y1,…,x4,y4 (0..1 here). */
const ocrSchema = z.object({ labels: z.array(z.string()), quad_boxes: z.array(z.array(z.number()).length(8)) });

const clamp = (value: number) => Math.min(1, Math.max(0, value));
const rounded = (value: number) => Math.round(value * 1000) / 1000;

/**
 * Florence-2's OCR with regions as Station's OCR result: each region a line whose box bounds its
 * quadrilateral, lines top to bottom then left to right (as the embedded PP-OCR sorts them), blank
 * labels dropped, confidence from the answer's token probabilities (florence2-token-confidence.ts).
 * An answer that is not the task's shape reads as no text.
 */
export function florence2ReadText(parsed: unknown, confidence: Florence2Confidence | undefined): ReadTextResult {
  const answer = ocrSchema.safeParse(parsed);
  if (!answer.success) return { text: "", lines: [] };
  const { labels, quad_boxes: quads } = answer.data;
  const aligned = confidence !== undefined && confidence.regions.length === labels.length;
  const lines: TextLine[] = [];
  labels.forEach((label, index) => {
    const text = label.replace(/<[^>]*>/g, "").trim();
    const quad = quads[index];
    if (text === "" || quad === undefined) return;
    const xs = quad.filter((_, at) => at % 2 === 0);
    const ys = quad.filter((_, at) => at % 2 === 1);
    lines.push({
      text,
      box: { x_min: clamp(Math.min(...xs)), y_min: clamp(Math.min(...ys)), x_max: clamp(Math.max(...xs)), y_max: clamp(Math.max(...ys)) },
      confidence: rounded(clamp(aligned ? (confidence.regions[index] ?? 0) : (confidence?.overall ?? 0))),
    });
  });
  lines.sort((a, b) => a.box.y_min - b.box.y_min || a.box.x_min - b.box.x_min);
  return { text: lines.map((line) => line.text).join("\n"), lines };
}
