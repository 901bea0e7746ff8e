import { describe, expect, it } from "vitest";
import type { ChatResult } from "../../providers/spec/index.ts";
import { toOutputItems } from "./response-items.ts";
import type { ResponsesBody } from "./responses-schemas.ts";
import { toOutputJson, toResponseJson } from "./to-response-json.ts";
import { type ResponseState, toResponseObject } from "./to-response-object.ts";

const withoutIds = (json: string): string => json.replace(/"(msg|rs|fc)_[0-9a-f]+"/g, '"$1_"');

const bodies = [
  { model: "m", input: "hi" },
  { model: "m", input: "hi", store: false, temperature: 0.2 },
  {
    model: "m",
    input: "hi",
    instructions: 'Be "brief"\n✓',
    max_output_tokens: 64,
    metadata: { user: "a" },
    parallel_tool_calls: false,
    previous_response_id: "resp_1",
    store: true,
    temperature: 0,
    top_p: 0.5,
    tool_choice: { type: "function", name: "get_time" },
    tools: [{ type: "function", name: "get_time", parameters: { type: "object", properties: {} } }],
    text: { format: { type: "json_schema", name: "answer", schema: { type: "object" }, strict: true } },
  },
  { model: "m", input: "hi", instructions: null, max_output_tokens: null, metadata: null, temperature: null, top_p: null },
] as unknown as ResponsesBody[];

const states: ResponseState[] = [
  { id: "resp_a", createdAt: 1700000000, model: 'fast/"m"', status: "in_progress", output: [] },
  {
    id: "resp_b",
    createdAt: 1700000001,
    model: "m",
    status: "completed",
    output: [],
    usage: { promptTokens: 4, completionTokens: 2, totalTokens: 6 },
  },
  { id: "resp_c", createdAt: 1700000002, model: "m", status: "incomplete", output: [] },
  {
    id: "resp_d",
    createdAt: 1700000003,
    model: "m",
    status: "failed",
    output: [],
    error: { code: "upstream_error", message: 'It "broke"' },
  },
];

const results: ChatResult[] = [
  { text: 'Say "hi"\nthen ✓ leave', toolCalls: [], finishReason: "stop" },
  { text: "", toolCalls: [], finishReason: "length" },
  { text: "Look", reasoning: "Thinking", toolCalls: [], finishReason: "stop" },
  { text: "", toolCalls: [{ id: "call_1", name: "get_time", arguments: '{"city":"Rome"}' }], finishReason: "tool_calls" },
];

describe("toResponseJson", () => {
  it("writes the same bytes as serialising toResponseObject", () => {
    for (const body of bodies) {
      for (const state of states) {
        for (const result of results) {
          const output = toOutputItems(result);
          expect(toResponseJson(state, body, JSON.stringify(output))).toBe(JSON.stringify(toResponseObject({ ...state, output }, body)));
        }
      }
    }
  });

  it("writes a result's output items as serialising them would", () => {
    for (const result of results) {
      expect(withoutIds(toOutputJson(result))).toBe(withoutIds(JSON.stringify(toOutputItems(result))));
    }
  });
});
