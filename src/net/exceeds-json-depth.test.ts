import { describe, expect, it } from "vitest";
import { exceedsJsonDepth } from "./exceeds-json-depth.ts";

const nested = (depth: number, open = "[", close = "]") => `${open.repeat(depth)}${close.repeat(depth)}`;

describe("exceedsJsonDepth", () => {
  it("counts objects and arrays, up to and past the limit", () => {
    expect(exceedsJsonDepth(nested(10), 10)).toBe(false);
    expect(exceedsJsonDepth(nested(11), 10)).toBe(true);
    expect(exceedsJsonDepth('{"a":{"b":[{"c":[1]}]}}', 5)).toBe(false);
    expect(exceedsJsonDepth('{"a":{"b":[{"c":[[1]]}]}}', 5)).toBe(true);
    expect(exceedsJsonDepth(`{"x": ${nested(4100)}}`)).toBe(true);
  });

  it("measures depth, not the number of siblings", () => {
    expect(exceedsJsonDepth(`[${Array.from({ length: 1000 }, () => "[1]").join(",")}]`, 3)).toBe(false);
  });

  it("ignores brackets inside strings, escaped quotes included", () => {
    expect(exceedsJsonDepth(JSON.stringify({ text: "[".repeat(500) }), 3)).toBe(false);
    expect(exceedsJsonDepth(JSON.stringify({ text: `say \\"${"{".repeat(500)}\\" and \\\\` }), 3)).toBe(false);
    expect(exceedsJsonDepth(`["\\\\", ${nested(5)}]`, 5)).toBe(true);
  });

  it("leaves malformed text to the parser", () => {
    expect(exceedsJsonDepth(`"unterminated ${"[".repeat(500)}`, 3)).toBe(false);
    expect(exceedsJsonDepth("]]]]]]]]]]]]]]]]]]]]", 3)).toBe(false);
  });
});
