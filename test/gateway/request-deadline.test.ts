import OpenAI, { APIError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOllamaUpstream, startFakeOllamaUpstream } from "../support/fake-ollama-upstream.ts";
import { type FakeOpenAiUpstream, startFakeOpenAiUpstream } from "../support/fake-openai-upstream.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";

const hi = [{ role: "user" as const, content: "Hi" }];

/**
 * A hung upstream used to hold its client for attempts × timeoutMs (181 s with the defaults):
 * `retry.deadlineMs` bounds the whole request, every attempt included, and answers 504.
 */
describe("one deadline per request across all attempts", () => {
  let upstream: FakeOpenAiUpstream;
  let ollama: FakeOllamaUpstream;
  let station: TestStation;
  let client: OpenAI;
  const chatCalls = (): number => upstream.requests.filter((request) => request.path.endsWith("/chat/completions")).length;

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ models: ["gpt-test"] });
    ollama = await startFakeOllamaUpstream();
    // The provider's own timeouts (60 s for an answer, 60 s of silence mid-body) and three attempts
    // would hold a client for minutes.
    const patient = { retry: { attempts: 3, baseDelayMs: 1, deadlineMs: 1_500 }, idleTimeoutMs: 60_000 };
    station = await startTestStation({
      config: {
        providers: [
          { id: "hung", type: "openai", baseUrl: upstream.url, ...patient },
          // The same upstream for the native /v1/responses relay.
          { id: "hungresponses", type: "openai", baseUrl: upstream.url, responses: true, ...patient },
          // Not a relay: Ollama's native API, translated.
          { id: "hungollama", type: "ollama", baseUrl: ollama.url, ...patient },
        ],
      },
    });
    client = new OpenAI({ baseURL: `${station.url}/v1`, apiKey: "unused", maxRetries: 0 });
  });
  afterAll(async () => {
    await station?.close();
    await upstream?.close();
    await ollama?.close();
  });

  for (const stream of [false, true]) {
    it(`answers 504 at the deadline for a ${stream ? "streamed" : "whole"} completion whose upstream hangs`, async () => {
      const before = chatCalls();
      upstream.fail({ kind: "slow", delayMs: 30_000 });
      const started = Date.now();
      const error = await client.chat.completions
        .create({ model: "hung/gpt-test", messages: hi, stream })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(APIError);
      expect((error as APIError).status).toBe(504);
      expect((error as APIError).code).toBe("upstream_timeout");
      expect((error as APIError).message).toMatch(/retry\.deadlineMs/);
      // The one attempt had the whole budget; no second one started past the deadline.
      expect(chatCalls() - before).toBe(1);
      // Far less than one provider timeout (60 s): the deadline, not attempts × timeoutMs.
      expect(Date.now() - started).toBeLessThan(20_000);
      // Station hung up on the upstream.
      await upstream.waitForAborts(1 + (stream ? 1 : 0));
    });
  }

  /** POSTs a JSON body; the answer's status, error code and how long it took. */
  const timed = async (path: string, body: unknown): Promise<{ status: number; code: string | undefined; ms: number }> => {
    const started = Date.now();
    const response = await fetch(`${station.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    const parsed = JSON.parse(text) as { error?: { code?: string }; code?: string };
    return { status: response.status, code: parsed.error?.code ?? parsed.code, ms: Date.now() - started };
  };

  for (const [path, body] of [
    ["/v1/chat/completions", { model: "hung/gpt-test", messages: hi }],
    ["/v1/responses", { model: "hungresponses/gpt-test", input: "Hi" }],
  ] as const) {
    it(`answers 504 at the deadline when a relayed whole reply (${path}) stops midway through its body`, async () => {
      const aborted = upstream.aborted;
      upstream.fail({ kind: "stall" });
      const answer = await timed(path, body);
      expect(answer).toMatchObject({ status: 504, code: "upstream_timeout" });
      // The deadline, not the provider's 60 s of allowed silence.
      expect(answer.ms).toBeLessThan(20_000);
      await upstream.waitForAborts(aborted + 1);
    });
  }

  for (const stream of [false, true]) {
    it(`answers 504 at the deadline when a translated ${stream ? "streamed" : "whole"} call (Ollama's API) hangs`, async () => {
      const aborted = ollama.aborted;
      ollama.hang();
      const started = Date.now();
      const error = await client.chat.completions
        .create({ model: "hungollama/llama3.2:3b", messages: hi, stream })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(APIError);
      expect((error as APIError).status).toBe(504);
      expect((error as APIError).code).toBe("upstream_timeout");
      expect(Date.now() - started).toBeLessThan(20_000);
      // One attempt, cut at the deadline: Station hung up on it.
      await expect.poll(() => ollama.aborted).toBe(aborted + 1);
    });
  }

  it("leaves a request that answers in time alone", async () => {
    const completion = await client.chat.completions.create({ model: "hung/gpt-test", messages: hi });
    expect(completion.choices[0]?.message.content).toBe("Hello from gpt-test!");
  });
});
