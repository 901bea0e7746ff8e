import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { writeScriptedGguf } from "../support/tiny-gguf.ts";

/**
 * A scripted GGUF (see writeScriptedGguf) really generates `||call: get_weather({"city": "Oslo"})`,
 * node-llama-cpp's function-calling syntax, so the model-chosen ("auto") tool-call path runs end to
 * end through llama.cpp, node-llama-cpp's function-call parser and Station's mapping.
 */
const script = ["||call:", "▁get_weather", "(", '{"city":', '▁"Oslo"', "}", ")"];
const tools: OpenAI.ChatCompletionTool[] = [
  {
    type: "function",
    function: {
      name: "get_weather",
      description: "Current weather",
      parameters: { type: "object", properties: { city: { type: "string" } } },
    },
  },
];
let station: TestStation;
let openai: OpenAI;

beforeAll(async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "station-tools-"));
  mkdirSync(path.join(dataDir, "models"));
  await writeScriptedGguf(path.join(dataDir, "models", "scripted.gguf"), script);
  station = await startTestStation({ config: { providers: [{ id: "local", type: "llamacpp", contextSize: 2048 }] }, dataDir });
  openai = new OpenAI({ baseURL: `${station.url}/v1`, apiKey: "unused", maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await station?.close();
});

const ask = [{ role: "user" as const, content: "What is the weather in Oslo?" }];

describe("tool calls the model chooses to make (tool_choice auto)", () => {
  it("come back as OpenAI tool_calls with the arguments the model wrote", async () => {
    const completion = await openai.chat.completions.create({
      model: "local/scripted",
      messages: ask,
      tools,
      temperature: 0,
      max_tokens: 40,
    });
    const choice = completion.choices[0];
    expect(choice?.finish_reason).toBe("tool_calls");
    expect(choice?.message.content ?? "").toBe("");
    const call = choice?.message.tool_calls?.[0];
    expect(call?.type === "function" && call.function.name).toBe("get_weather");
    expect(call?.type === "function" && JSON.parse(call.function.arguments)).toEqual({ city: "Oslo" });
    expect(call?.id).toMatch(/^call_/);
  });

  it("stream as tool-call deltas that assemble into the same call", async () => {
    const stream = await openai.chat.completions.create({
      model: "local/scripted",
      messages: ask,
      tools,
      temperature: 0,
      max_tokens: 40,
      stream: true,
    });
    let name = "";
    let argumentsText = "";
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? []) {
        name += delta.function?.name ?? "";
        argumentsText += delta.function?.arguments ?? "";
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(name).toBe("get_weather");
    expect(argumentsText).toBe('{"city": "Oslo"}');
    expect(finish).toBe("tool_calls");
  });

  it("without tools the same output is plain text, and a stop sequence cuts it", async () => {
    const plain = await openai.chat.completions.create({ model: "local/scripted", messages: ask, temperature: 0, max_tokens: 40 });
    expect(plain.choices[0]?.message.content).toBe('||call: get_weather({"city": "Oslo"})');
    expect(plain.choices[0]?.finish_reason).toBe("stop");
    const stopped = await openai.chat.completions.create({
      model: "local/scripted",
      messages: ask,
      temperature: 0,
      max_tokens: 40,
      stop: ["("],
    });
    expect(stopped.choices[0]?.message.content).toBe("||call: get_weather");
    const none = await openai.chat.completions.create({
      model: "local/scripted",
      messages: ask,
      tools,
      tool_choice: "none",
      temperature: 0,
      max_tokens: 40,
    });
    expect(none.choices[0]?.message.tool_calls ?? []).toEqual([]);
  });

  it("accepts the tool result in the next turn (rendered into the prompt; this model then simply calls again)", async () => {
    const first = await openai.chat.completions.create({ model: "local/scripted", messages: ask, tools, temperature: 0, max_tokens: 40 });
    const completion = await openai.chat.completions.create({
      model: "local/scripted",
      temperature: 0,
      max_tokens: 40,
      tools,
      messages: [
        ...ask,
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "call_1", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }],
        },
        { role: "tool", tool_call_id: "call_1", content: '{"celsius": 21}' },
      ],
    });
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
    expect(completion.usage?.prompt_tokens).toBeGreaterThan((first.usage?.prompt_tokens ?? 0) + 20);
  });
});
