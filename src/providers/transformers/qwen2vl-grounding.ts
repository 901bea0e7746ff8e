import type { BoundingBox } from "../spec/vision-model.ts";

/**
 * Qwen2-VL grounds objects in text (Qwen2-VL technical report, arXiv 2409.12191, §"Visual
 * Grounding"): the phrase between `<|object_ref_start|>` and `<|object_ref_end|>`, each box as
 * `<|box_start|>(x1,y1),(x2,y2)<|box_end|>`, top-left then bottom-right corner, normalised to
 * [0, 1000) of the image's width and height. The referring prompt names the object between the
 * same reference tokens, as its grounding training data does ("Find <|object_ref_start|>the
 * man<|object_ref_end|>").
 */
export const qwen2VlGrounding = {
  prompt(object: string): string {
    // The user's phrase must not close the reference or open a box of its own.
    const phrase = object.replace(/<\|[^|]*\|>/g, " ").trim();
    return `Find <|object_ref_start|>${phrase}<|object_ref_end|>`;
  },
  parse: parseQwen2VlBoxes,
};

const coordinate = String.raw`\s*(\d+(?:\.\d+)?)\s*`;
const boxPattern = new RegExp(
  String.raw`<\|box_start\|>\s*\(${coordinate},${coordinate}\)\s*,\s*\(${coordinate},${coordinate}\)\s*<\|box_end\|>`,
  "g",
);
const scale = 1000;

/**
 * Every well-formed box in the model's answer, in the Moondream API's 0–1 shape (corners put in
 * order and clamped to the image). Anything else (free text, a box cut off by the token limit,
 * a point instead of two corners) is left out: a reply without a readable box is no box.
 */
export function parseQwen2VlBoxes(text: string): BoundingBox[] {
  const boxes: BoundingBox[] = [];
  for (const match of text.matchAll(boxPattern)) {
    const [x1, y1, x2, y2] = match.slice(1, 5).map((value) => Math.min(1, Math.max(0, Number(value) / scale)));
    if (x1 === undefined || y1 === undefined || x2 === undefined || y2 === undefined) continue;
    boxes.push({ x_min: Math.min(x1, x2), y_min: Math.min(y1, y2), x_max: Math.max(x1, x2), y_max: Math.max(y1, y2) });
  }
  return boxes;
}
