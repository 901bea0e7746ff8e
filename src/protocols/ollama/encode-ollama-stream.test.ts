import { describe, expect, it } from "vitest";
import type { ChatResult, StreamPart } from "../../providers/spec/index.ts";
import { encodeOllamaStream, toOllamaReplyJson } from "./encode-ollama-stream.ts";

/** The clock's fields (created_at, the durations) as fixed values, so lines compare byte for byte. */
const steady = (json: string): string =>
  json.replace(/"created_at":"[^"]+"/g, '"created_at":"T"').replace(/"(total_duration|prompt_eval_duration|eval_duration)":\d+/g, '"$1":0');

const statistics = { load_duration: 0, prompt_eval_count: 4, prompt_eval_duration: 0, eval_count: 2, eval_duration: 0 };
const usage = { promptTokens: 4, completionTokens: 2, totalTokens: 6 };
const model = 'fast/"model"';

describe("Ollama's JSON written as text", () => {
  it("writes a whole reply as Ollama's object serialised, for chat and generate", () => {
    const text = 'Say "hi"\nthen ✓ leave';
    const result: ChatResult = { text, reasoning: "Thinking", toolCalls: [], finishReason: "stop", usage };
    const timings = { startedAt: process.hrtime.bigint() };
    expect(steady(toOllamaReplyJson("chat", model, result, timings))).toBe(
      JSON.stringify({
        model,
        created_at: "T",
        message: { role: "assistant", content: text, thinking: "Thinking" },
        done: true,
        done_reason: "stop",
        total_duration: 0,
        ...statistics,
      }),
    );
    const calls: ChatResult = {
      text: "",
      toolCalls: [{ id: "call_1", name: "get_time", arguments: '{"city":"Rome"}' }],
      finishReason: "tool_calls",
      usage,
    };
    expect(steady(toOllamaReplyJson("chat", model, calls, timings))).toBe(
      JSON.stringify({
        model,
        created_at: "T",
        message: {
          role: "assistant",
          content: "",
          tool_calls: [{ id: "call_1", function: { index: 0, name: "get_time", arguments: { city: "Rome" } } }],
        },
        done: true,
        done_reason: "stop",
        total_duration: 0,
        ...statistics,
      }),
    );
    const generated: ChatResult = { text, toolCalls: [], finishReason: "length", usage };
    expect(steady(toOllamaReplyJson("generate", model, generated, timings, () => [1, 2, 3]))).toBe(
      JSON.stringify({
        model,
        created_at: "T",
        response: text,
        done: true,
        context: [1, 2, 3],
        done_reason: "length",
        total_duration: 0,
        ...statistics,
      }),
    );
  });

  it("streams one JSON line per delta and a last line with the statistics", async () => {
    async function* parts(): AsyncGenerator<StreamPart> {
      yield { type: "reasoning-delta", text: "Hm" };
      yield { type: "text-delta", text: 'A "quote"' };
      yield { type: "finish", finishReason: "stop", usage };
    }
    const lines: string[] = [];
    for await (const line of encodeOllamaStream(parts(), "chat", model, { startedAt: process.hrtime.bigint() })) lines.push(steady(line));
    expect(lines).toEqual([
      `${JSON.stringify({ model, created_at: "T", message: { role: "assistant", content: "", thinking: "Hm" }, done: false })}\n`,
      `${JSON.stringify({ model, created_at: "T", message: { role: "assistant", content: 'A "quote"' }, done: false })}\n`,
      `${JSON.stringify({ model, created_at: "T", message: { role: "assistant", content: "" }, done: true, done_reason: "stop", total_duration: 0, ...statistics })}\n`,
    ]);
  });
});
