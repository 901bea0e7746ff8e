import { describe, expect, it } from "vitest";
import { toCompletionJson } from "./completions-codec.ts";

describe("toCompletionJson", () => {
  it("is a text_completion object, strings escaped", () => {
    const json = toCompletionJson(
      { text: 'A "quote"\nand ✓', toolCalls: [], finishReason: "length", usage: { promptTokens: 3, completionTokens: 5, totalTokens: 8 } },
      "fast/m",
    );
    expect(JSON.parse(json)).toEqual({
      id: expect.stringMatching(/^cmpl-[0-9a-f]+$/),
      object: "text_completion",
      created: expect.any(Number),
      model: "fast/m",
      choices: [{ text: 'A "quote"\nand ✓', index: 0, logprobs: null, finish_reason: "length" }],
      usage: { prompt_tokens: 3, completion_tokens: 5, total_tokens: 8 },
    });
    const bare = JSON.parse(toCompletionJson({ text: "", toolCalls: [], finishReason: "stop" }, "m"));
    expect(bare.usage).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
    expect(bare.choices[0].finish_reason).toBe("stop");
  });
});
