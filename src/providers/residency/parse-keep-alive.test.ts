import { describe, expect, it } from "vitest";
import { parseKeepAlive } from "./parse-keep-alive.ts";

describe("parseKeepAlive (Ollama keep_alive)", () => {
  it.each([
    [undefined, undefined],
    [0, 0],
    [30, 30_000],
    [1.5, 1500],
    [-1, -1],
    [-5, -1],
    ["0", 0],
    ["300", 300_000],
    ["-1", -1],
    ["5m", 300_000],
    ["1h30m", 5_400_000],
    ["250ms", 250],
    ["10s", 10_000],
    ["-1m", -1],
  ])("%s → %s ms", (input, expected) => {
    expect(parseKeepAlive(input)).toBe(expected);
  });

  it.each(["", "soon", "5 minutes", "5x", "m", true, {}])("rejects %j with a 400 naming keep_alive", (input) => {
    expect(() => parseKeepAlive(input)).toThrow(expect.objectContaining({ status: 400, param: "keep_alive" }));
  });
});
