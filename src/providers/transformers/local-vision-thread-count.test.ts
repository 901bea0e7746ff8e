import { describe, expect, it } from "vitest";
import { localVisionThreadCount } from "./local-vision-thread-count.ts";

describe("local vision threads when the config says 0", () => {
  it("gives a 1- or 2-core machine all its cores, keeps one free above that, and stops at 8", () => {
    expect([1, 2, 3, 4, 8, 9, 16, 64].map((cores) => localVisionThreadCount(cores))).toEqual([1, 2, 2, 3, 7, 8, 8, 8]);
  });
});
