import { describe, expect, it } from "vitest";
import { randomHexId } from "./random-hex-id.ts";

describe("randomHexId", () => {
  it("is the prefix and the bytes in hex", () => {
    expect(randomHexId("msg_", 12)).toMatch(/^msg_[0-9a-f]{24}$/);
    expect(randomHexId("resp_", 16)).toMatch(/^resp_[0-9a-f]{32}$/);
  });

  it("never repeats across many pool refills", () => {
    const ids = new Set<string>();
    for (let index = 0; index < 5000; index++) ids.add(randomHexId("", 16));
    expect(ids.size).toBe(5000);
  });
});
