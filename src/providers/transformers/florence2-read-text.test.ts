import { describe, expect, it } from "vitest";
import { florence2ReadText } from "./florence2-read-text.ts";
import { florence2Confidence, type ScoredToken, tokenProbabilityRecorder } from "./florence2-token-confidence.ts";

const text = (probability: number): ScoredToken => ({ kind: "text", probability });
const locations = (count: number): ScoredToken[] => Array.from({ length: count }, () => ({ kind: "location", probability: 1 }));

describe("Florence-2 OCR with regions as Station's OCR result", () => {
  it("makes each region a line bounded by its quadrilateral, top to bottom, with its confidence", () => {
    const parsed = {
      labels: ["Total 42.50", "Receipt 2026"],
      quad_boxes: [
        [0.1, 0.6, 0.5, 0.62, 0.5, 0.7, 0.1, 0.68],
        [0.2, 0.1, 0.8, 0.1, 0.8, 0.2, 0.2, 0.2],
      ],
    };
    expect(florence2ReadText(parsed, { regions: [0.5, 0.9876], overall: 0.7 })).toEqual({
      text: "Receipt 2026\nTotal 42.50",
      lines: [
        { text: "Receipt 2026", box: { x_min: 0.2, y_min: 0.1, x_max: 0.8, y_max: 0.2 }, confidence: 0.988 },
        { text: "Total 42.50", box: { x_min: 0.1, y_min: 0.6, x_max: 0.5, y_max: 0.7 }, confidence: 0.5 },
      ],
    });
  });

  it("drops blank labels and stray tags, clamps boxes, and takes the answer's mean when regions do not line up", () => {
    const parsed = {
      labels: ["<loc_3>Hello", "   "],
      quad_boxes: [
        [-0.1, 0.2, 1.3, 0.2, 1.3, 0.4, -0.1, 0.4],
        [0, 0, 1, 0, 1, 1, 0, 1],
      ],
    };
    expect(florence2ReadText(parsed, { regions: [0.9], overall: 0.75 })).toEqual({
      text: "Hello",
      lines: [{ text: "Hello", box: { x_min: 0, y_min: 0.2, x_max: 1, y_max: 0.4 }, confidence: 0.75 }],
    });
  });

  it("reads an answer of another shape as no text", () => {
    expect(florence2ReadText("just text", undefined)).toEqual({ text: "", lines: [] });
    expect(florence2ReadText({ labels: ["a"], quad_boxes: [[0, 0, 1, 1]] }, undefined)).toEqual({ text: "", lines: [] });
  });
});

describe("Florence-2 token confidence", () => {
  it("is the mean probability of each region's text tokens (text, then eight locations), specials skipped", () => {
    const tokens = [
      { kind: "special" as const, probability: 0.1 },
      text(0.8),
      text(0.6),
      ...locations(8),
      text(1),
      ...locations(3),
      text(0.5),
      ...locations(8),
      { kind: "special" as const, probability: 1 },
    ];
    const { regions, overall } = florence2Confidence(tokens);
    expect(regions).toHaveLength(2);
    expect(regions[0]).toBeCloseTo(0.7);
    expect(regions[1]).toBeCloseTo(0.75);
    expect(overall).toBeCloseTo(0.725);
    expect(florence2Confidence([...locations(8)])).toEqual({ regions: [], overall: 0 });
  });

  it("records the softmax probability of each step's most likely token", () => {
    const recorder = tokenProbabilityRecorder();
    const logits = { data: new Float32Array([Math.log(3), 0, Number.NEGATIVE_INFINITY, 99]), dims: [1, 3] };
    expect(recorder.processor([], logits)).toBe(logits);
    recorder.processor([], { data: new Float32Array([5]), dims: [1, 1] });
    expect(recorder.probabilities[0]).toBeCloseTo(0.75);
    expect(recorder.probabilities[1]).toBe(1);
  });
});
