import { describe, expect, it } from "vitest";
import { recordingResilience } from "../../test/support/recording-resilience.ts";
import type { Provider, SpeechModel } from "../providers/spec/index.ts";
import { createResilientSpeechModel } from "./create-resilient-speech-model.ts";

/** A provider whose one speech model yields `chunks` chunks, failing at `failAt` if set. */
function speakingProvider(chunks: number, failAt?: number): Provider {
  const speech: SpeechModel = {
    id: "tts/voice",
    async speak() {
      return {
        format: "pcm",
        sampleRate: 24_000,
        chunks: (async function* () {
          for (let index = 0; index < chunks; index++) {
            if (index === failAt) throw new Error("engine broke");
            yield new Uint8Array([index, 0]);
          }
        })(),
      };
    },
  };
  return { id: "tts", type: "test", listModels: async () => [], health: async () => ({ status: "ok" }), speechModel: () => speech };
}

describe("createResilientSpeechModel: how a speech stream ended is counted", () => {
  it("a consumer that stops reading early is a cancel, and the target stays healthy", async () => {
    const { outcomes, resilience } = recordingResilience();
    const provider = speakingProvider(5);
    const model = createResilientSpeechModel("tts/voice", () => [{ id: "tts/voice", provider, modelName: "voice" }], resilience);
    for (let round = 0; round < 3; round++) {
      const audio = await model.speak({ model: "voice", input: "Hello.", format: "pcm" });
      for await (const _chunk of audio.chunks) break;
    }
    expect(outcomes).toEqual(["cancelled", "cancelled", "cancelled"]);
    // The breaker (minimumCalls 1) would be open after one failure: the next call still reaches the engine.
    const audio = await model.speak({ model: "voice", input: "Hello.", format: "pcm" });
    let count = 0;
    for await (const _chunk of audio.chunks) count++;
    expect(count).toBe(5);
    expect(outcomes.at(-1)).toBe("ok");
  });

  it("a stream that breaks midway is still the target's failure", async () => {
    const { outcomes, resilience } = recordingResilience();
    const provider = speakingProvider(5, 2);
    const model = createResilientSpeechModel("tts/voice", () => [{ id: "tts/voice", provider, modelName: "voice" }], resilience);
    const audio = await model.speak({ model: "voice", input: "Hello.", format: "pcm" });
    await expect(
      (async () => {
        for await (const _chunk of audio.chunks);
      })(),
    ).rejects.toThrow("engine broke");
    expect(outcomes).toEqual(["error"]);
  });
});
