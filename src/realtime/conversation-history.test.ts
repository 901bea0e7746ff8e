import { describe, expect, it } from "vitest";
import type { ChatMessage } from "../providers/spec/index.ts";
import { createConversationHistory } from "./conversation-history.ts";

const turn = (question: string, answer: string): ChatMessage[] => [
  { role: "user", content: question },
  { role: "assistant", content: answer },
];

describe("createConversationHistory", () => {
  it("forgets whole turns, oldest first, beyond the turn limit", () => {
    const history = createConversationHistory({ maxTurns: 2, maxChars: 1_000 });
    history.addTurn(turn("one", "1"));
    history.addTurn(turn("two", "2"));
    history.addTurn(turn("three", "3"));
    expect(history.turns).toBe(2);
    expect(history.messages().map((message) => message.content)).toEqual(["two", "2", "three", "3"]);
  });

  it("keeps the text within maxChars and never splits a tool call from its result", () => {
    const history = createConversationHistory({ maxTurns: 10, maxChars: 60 });
    history.addTurn([
      { role: "user", content: "sum it" },
      { role: "assistant", content: "", toolCalls: [{ id: "c1", name: "calc__add", arguments: '{"a":1,"b":2}' }] },
      { role: "tool", content: "3", toolCallId: "c1", name: "calc__add" },
      { role: "assistant", content: "It is 3." },
    ]);
    expect(history.chars).toBe(6 + 9 + 13 + 1 + 8);
    history.addTurn(turn("a".repeat(30), "b"));
    expect(history.turns).toBe(1);
    expect(history.messages()).toEqual(turn("a".repeat(30), "b"));
    expect(history.chars).toBe(31);
  });

  it("keeps a turn's text but not its images", () => {
    const history = createConversationHistory({ maxTurns: 5, maxChars: 1_000 });
    history.addTurn([
      {
        role: "user",
        content: [
          { type: "text", text: "what is this?" },
          { type: "image", data: new Uint8Array(10_000), mediaType: "image/jpeg" },
        ],
      },
      { role: "assistant", content: "A cat." },
    ]);
    expect(history.messages()[0]).toEqual({ role: "user", content: "what is this?" });
  });

  it("remembers nothing with maxTurns 0", () => {
    const history = createConversationHistory({ maxTurns: 0, maxChars: 1_000 });
    history.addTurn(turn("one", "1"));
    expect(history.messages()).toEqual([]);
  });
});
