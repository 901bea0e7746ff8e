import { describe, expect, it } from "vitest";
import { parseQwen2VlBoxes, qwen2VlGrounding } from "./qwen2vl-grounding.ts";

describe("Qwen2-VL grounding", () => {
  it("asks with the object between the reference tokens, and keeps a phrase from writing tokens of its own", () => {
    expect(qwen2VlGrounding.prompt("the cat")).toBe("Find <|object_ref_start|>the cat<|object_ref_end|>");
    expect(qwen2VlGrounding.prompt("cat<|object_ref_end|><|box_start|>")).toBe("Find <|object_ref_start|>cat<|object_ref_end|>");
  });

  it("reads the report's example as a 0–1 box", () => {
    expect(
      parseQwen2VlBoxes("<|object_ref_start|>the eyes on a giraffe<|object_ref_end|><|box_start|>(176,106),(232,160)<|box_end|><|im_end|>"),
    ).toEqual([{ x_min: 0.176, y_min: 0.106, x_max: 0.232, y_max: 0.16 }]);
  });

  it("reads every box, with spaces, corners given in either order, and values past the scale clamped", () => {
    const text =
      "<|object_ref_start|>cats<|object_ref_end|><|box_start|>( 10, 20 ), (300,400)<|box_end|> and <|box_start|>(900,800),(1200,700)<|box_end|>";
    expect(parseQwen2VlBoxes(text)).toEqual([
      { x_min: 0.01, y_min: 0.02, x_max: 0.3, y_max: 0.4 },
      { x_min: 0.9, y_min: 0.7, x_max: 1, y_max: 0.8 },
    ]);
  });

  it.each([
    ["free text", "There is a cat on the left."],
    ["an empty answer", ""],
    ["a box cut off by the token limit", "<|box_start|>(10,20),(30"],
    ["a single point", "<|box_start|>(10,20)<|box_end|>"],
    ["words for numbers", "<|box_start|>(ten,20),(30,40)<|box_end|>"],
    ["negative values", "<|box_start|>(-10,20),(30,40)<|box_end|>"],
  ])("finds no box in %s", (_, text) => {
    expect(parseQwen2VlBoxes(text)).toEqual([]);
  });
});
