import { describe, expect, it } from "vitest";
import { floatToG711, g711ToPcm16 } from "./g711.ts";

describe("G.711 μ-law and A-law", () => {
  for (const law of ["mu", "a"] as const) {
    it(`${law}-law: a 440 Hz tone survives the round trip within G.711's quantisation`, () => {
      const tone = new Float32Array(800).map((_, index) => 0.6 * Math.sin((2 * Math.PI * 440 * index) / 8000));
      const decoded = g711ToPcm16(floatToG711(tone, law), law);
      let worst = 0;
      for (let index = 0; index < tone.length; index++) {
        const expected = (tone[index] as number) * 32768;
        // Logarithmic steps: the error grows with the level, at most 1/16 of it (A-law has no zero: ±8 near silence).
        worst = Math.max(worst, Math.abs((decoded[index] as number) - expected) / (Math.abs(expected) + 128));
      }
      expect(worst).toBeLessThanOrEqual(1 / 16 + 1e-6);
    });
  }

  it("decodes the codes the standard fixes: silence and full scale", () => {
    expect([...g711ToPcm16(new Uint8Array([0xff, 0x7f, 0x00, 0x80]), "mu")]).toEqual([0, 0, -32124, 32124]);
    expect([...g711ToPcm16(new Uint8Array([0xd5, 0x55, 0xaa, 0x2a]), "a")]).toEqual([8, -8, 32256, -32256]);
    expect([...floatToG711(new Float32Array([0, 1, -1]), "mu")]).toEqual([0xff, 0x80, 0x00]);
    expect([...floatToG711(new Float32Array([1, -1]), "a")]).toEqual([0xaa, 0x2a]);
  });
});
