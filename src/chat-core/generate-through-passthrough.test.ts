import { describe, expect, it } from "vitest";
import { completionSchema, isPlainCompletion } from "./generate-through-passthrough.ts";

const message = { role: "assistant", content: "Hi", refusal: null };
const reply = (patch: Record<string, unknown> = {}, choice: Record<string, unknown> = {}) => ({
  id: "chatcmpl-1",
  object: "chat.completion",
  choices: [{ index: 0, message, logprobs: null, finish_reason: "stop", ...choice }],
  usage: { prompt_tokens: 3, completion_tokens: 1, total_tokens: 4 },
  ...patch,
});

const plain = [
  reply(),
  reply({ id: undefined, usage: undefined }),
  reply({ usage: null }),
  reply({}, { finish_reason: null, message: { role: "assistant", content: null } }),
  reply({}, { message: { role: "assistant", content: "", reasoning_content: "Thinking", tool_calls: null } }),
  reply({ usage: { prompt_tokens: 3 } }),
];

const notPlain = [
  // Valid, but left to zod: tool calls.
  reply({}, { message: { role: "assistant", content: null, tool_calls: [{ id: "c", function: { name: "f", arguments: "{}" } }] } }),
  // Invalid: zod refuses them too.
  reply({ choices: [] }),
  reply({ choices: "none" }),
  reply({ id: 7 }),
  reply({}, { message: { content: 5 } }),
  reply({}, { message: undefined }),
  reply({}, { finish_reason: 1 }),
  reply({}, { message: { content: "x", reasoning: {} } }),
  reply({ usage: { prompt_tokens: "3" } }),
  reply({ usage: { prompt_tokens: null } }),
  reply({ usage: 4 }),
  { ...reply(), choices: [{ message }, null] },
  null,
  "text",
];

describe("isPlainCompletion", () => {
  it("passes only replies completionSchema accepts", () => {
    for (const value of plain) {
      expect(isPlainCompletion(value)).toBe(true);
      expect(completionSchema.safeParse(value).success).toBe(true);
    }
  });

  it("leaves tool calls and every reply zod refuses to completionSchema", () => {
    for (const value of notPlain) expect(isPlainCompletion(value)).toBe(false);
    expect(completionSchema.safeParse(notPlain[0]).success).toBe(true);
    for (const value of notPlain.slice(1)) expect(completionSchema.safeParse(value).success).toBe(false);
  });
});
