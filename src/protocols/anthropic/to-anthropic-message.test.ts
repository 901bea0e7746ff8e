import { describe, expect, it } from "vitest";
import type { ChatResult } from "../../providers/spec/index.ts";
import { toAnthropicMessage, toAnthropicMessageJson } from "./to-anthropic-message.ts";

const withoutId = (json: string): string => json.replace(/"id":"msg_[0-9a-f]+"/, '"id":"msg_"');

describe("toAnthropicMessageJson", () => {
  it("writes the same bytes as serialising toAnthropicMessage", () => {
    const results: ChatResult[] = [
      {
        text: 'Say "hi"\nthen ✓ leave',
        toolCalls: [],
        finishReason: "stop",
        usage: { promptTokens: 4, completionTokens: 2, totalTokens: 6 },
      },
      { text: "", toolCalls: [], finishReason: "length" },
      { text: "Look", reasoning: "Thinking", toolCalls: [], finishReason: "stop" },
      { text: "", toolCalls: [{ id: "call_1", name: "get_time", arguments: '{"city":"Rome"}' }], finishReason: "tool_calls" },
    ];
    for (const result of results) {
      expect(withoutId(toAnthropicMessageJson(result, 'fast/"model"'))).toBe(
        withoutId(JSON.stringify(toAnthropicMessage(result, 'fast/"model"'))),
      );
    }
  });
});
