import OpenAI, { APIError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAiUpstream, startFakeOpenAiUpstream } from "../support/fake-openai-upstream.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";

const hi = [{ role: "user" as const, content: "Hi" }];

/**
 * A hung upstream used to hold its client for attempts × timeoutMs (181 s with the defaults):
 * `retry.deadlineMs` bounds the whole request, every attempt included, and answers 504.
 */
describe("one deadline per request across all attempts", () => {
  let upstream: FakeOpenAiUpstream;
  let station: TestStation;
  let client: OpenAI;
  const chatCalls = (): number => upstream.requests.filter((request) => request.path.endsWith("/chat/completions")).length;

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ models: ["gpt-test"] });
    station = await startTestStation({
      config: {
        providers: [
          // The provider's own timeout (60 s) and three attempts would hold a client for three minutes.
          { id: "hung", type: "openai", baseUrl: upstream.url, retry: { attempts: 3, baseDelayMs: 1, deadlineMs: 1_500 } },
        ],
      },
    });
    client = new OpenAI({ baseURL: `${station.url}/v1`, apiKey: "unused", maxRetries: 0 });
  });
  afterAll(async () => {
    await station?.close();
    await upstream?.close();
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

  it("leaves a request that answers in time alone", async () => {
    const completion = await client.chat.completions.create({ model: "hung/gpt-test", messages: hi });
    expect(completion.choices[0]?.message.content).toBe("Hello from gpt-test!");
  });
});
