import { mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import Anthropic from "@anthropic-ai/sdk";
import { Ollama } from "ollama";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { writeTinyGguf } from "../support/tiny-gguf.ts";

/**
 * Every drop-in surface over an in-process GGUF (tiny random weights: the text is noise, so the
 * checks are on each protocol's shape and on the token limit being honoured).
 */
describe("drop-in surfaces over a local GGUF", () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "station-dropin-local-"));
  let station: TestStation;
  const model = "local/tiny";

  beforeAll(async () => {
    mkdirSync(path.join(dataDir, "models"));
    await writeTinyGguf(path.join(dataDir, "models", "tiny.gguf"));
    station = await startTestStation({
      config: { providers: [{ id: "local", type: "llamacpp", contextSize: 512, retry: { attempts: 1 } }] },
      dataDir,
    });
  }, 60_000);

  afterAll(async () => {
    await station?.close();
  });

  it("Ollama chat streams NDJSON to a final chunk with counts (num_predict honoured)", async () => {
    const ollama = new Ollama({ host: station.url });
    const stream = await ollama.chat({
      model: `${model}:latest`,
      messages: [{ role: "user", content: "Hi" }],
      options: { num_predict: 4, num_ctx: 512 },
      stream: true,
    });
    let last: { done: boolean; done_reason?: string; eval_count?: number } | undefined;
    for await (const chunk of stream) last = chunk;
    expect(last?.done).toBe(true);
    expect(["stop", "length"]).toContain(last?.done_reason);
    expect(last?.eval_count).toBeLessThanOrEqual(4);
  }, 60_000);

  it("Anthropic messages.create and Responses and completions answer in their shapes", async () => {
    const anthropic = new Anthropic({ apiKey: "none", baseURL: station.url, maxRetries: 0 });
    const message = await anthropic.messages.create({ model, max_tokens: 3, messages: [{ role: "user", content: "Hi" }] });
    expect(message.type).toBe("message");
    expect(["end_turn", "max_tokens"]).toContain(message.stop_reason);
    expect(message.usage.output_tokens).toBeLessThanOrEqual(3);

    const openai = new OpenAI({ apiKey: "none", baseURL: `${station.url}/v1`, maxRetries: 0 });
    const response = await openai.responses.stream({ model, input: "Hi", max_output_tokens: 3 }).finalResponse();
    expect(["completed", "incomplete"]).toContain(response.status);
    expect(response.output.some((item) => item.type === "message")).toBe(true);

    const completion = await openai.completions.create({ model, prompt: "Once upon", max_tokens: 3 });
    expect(completion.object).toBe("text_completion");
    expect(typeof completion.choices[0]?.text).toBe("string");
  }, 60_000);
});
