import { describe, expect, it } from "vitest";
import { recordingResilience } from "../../test/support/recording-resilience.ts";
import type { ChatModel, Provider, StreamPart } from "../providers/spec/index.ts";
import { createResilientChatModel } from "./create-resilient-chat-model.ts";

/** A provider whose one chat model streams `parts` text deltas, throwing at `throwAt` if set. */
function streamingProvider(parts: number, throwAt?: number): Provider {
  const chat: ChatModel = {
    id: "up/model",
    providerId: "up",
    modelName: "model",
    async generate() {
      throw new Error("not used");
    },
    async *stream(): AsyncGenerator<StreamPart> {
      for (let index = 0; index < parts; index++) {
        if (index === throwAt) throw new Error("upstream broke");
        yield { type: "text-delta", text: `piece ${index} ` } as StreamPart;
      }
      yield { type: "finish", finishReason: "stop" } as StreamPart;
    },
  };
  return { id: "up", type: "test", listModels: async () => [], health: async () => ({ status: "ok" }), chatModel: () => chat };
}

describe("createResilientChatModel: how a chat stream ended is counted", () => {
  it("a consumer that stops reading early is a cancel, and the target stays healthy", async () => {
    const { outcomes, resilience } = recordingResilience();
    const provider = streamingProvider(5);
    const model = createResilientChatModel("up/model", () => [{ id: "up/model", provider, modelName: "model" }], resilience);
    for (let round = 0; round < 3; round++) {
      for await (const _part of model.stream({ model: "model", messages: [{ role: "user", content: "hi" }] })) break;
    }
    expect(outcomes).toEqual(["cancelled", "cancelled", "cancelled"]);
    // With minimumCalls 1 one failure would open the breaker; the next call still streams to the end.
    const types: string[] = [];
    for await (const part of model.stream({ model: "model", messages: [{ role: "user", content: "hi" }] })) types.push(part.type);
    expect(types).toEqual(["text-delta", "text-delta", "text-delta", "text-delta", "text-delta", "finish"]);
    expect(outcomes.at(-1)).toBe("ok");
  });

  it("a stream that throws midway is still the target's failure", async () => {
    const { outcomes, resilience } = recordingResilience();
    const provider = streamingProvider(5, 2);
    const model = createResilientChatModel("up/model", () => [{ id: "up/model", provider, modelName: "model" }], resilience);
    await expect(
      (async () => {
        for await (const _part of model.stream({ model: "model", messages: [{ role: "user", content: "hi" }] }));
      })(),
    ).rejects.toThrow("upstream broke");
    expect(outcomes).toEqual(["error"]);
  });
});
