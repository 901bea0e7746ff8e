import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAiUpstream, startFakeOpenAiUpstream } from "../support/fake-openai-upstream.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";

const hi = [{ role: "user" as const, content: "Hi" }];

describe("circuit breaker: a flaky model stays usable, a route with somewhere else to go fails over fast", () => {
  let flakyUpstream: FakeOpenAiUpstream;
  let brokenUpstream: FakeOpenAiUpstream;
  let healthyUpstream: FakeOpenAiUpstream;
  let station: TestStation;
  let client: OpenAI;
  const chatCalls = (upstream: FakeOpenAiUpstream): number =>
    upstream.requests.filter((request) => request.path.endsWith("/chat/completions")).length;

  beforeAll(async () => {
    flakyUpstream = await startFakeOpenAiUpstream({ models: ["gpt-test"] });
    brokenUpstream = await startFakeOpenAiUpstream({ models: ["gpt-test"] });
    healthyUpstream = await startFakeOpenAiUpstream({ models: ["gpt-test"] });
    flakyUpstream.script({ text: "flaky but fine" });
    healthyUpstream.script({ text: "from the healthy one" });
    // Every model call to this one fails.
    brokenUpstream.flaky({ rate: 1, seed: 1 });
    station = await startTestStation({
      config: {
        providers: [
          // The case: 30 % of requests answer 500, six attempts; the breaker at its defaults.
          { id: "flaky", type: "openai", baseUrl: flakyUpstream.url, retry: { attempts: 6, baseDelayMs: 1, maxDelayMs: 5 } },
          {
            id: "broken",
            type: "openai",
            baseUrl: brokenUpstream.url,
            retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
            cooldown: { minimumCalls: 3, cooldownMs: 600_000 },
          },
          { id: "healthy", type: "openai", baseUrl: healthyUpstream.url },
        ],
        routes: [{ model: "with-fallback", strategy: "fallback", targets: ["broken/gpt-test", "healthy/gpt-test"] }],
      },
    });
    client = new OpenAI({ baseURL: `${station.url}/v1`, apiKey: "unused", maxRetries: 0 });
  });

  afterAll(async () => {
    await station?.close();
    await flakyUpstream?.close();
    await brokenUpstream?.close();
    await healthyUpstream?.close();
  });

  it("answers nearly every one of 40 sequential requests to a single upstream failing 30 % of the time", async () => {
    flakyUpstream.flaky({ rate: 0.3, seed: 42 });
    const outcomes: string[] = [];
    for (let index = 0; index < 40; index++) {
      // Both relay paths: whole JSON replies and streams.
      const stream = index % 2 === 1;
      try {
        if (stream) {
          let text = "";
          for await (const chunk of await client.chat.completions.create({ model: "flaky/gpt-test", messages: hi, stream: true })) {
            text += chunk.choices[0]?.delta.content ?? "";
          }
          outcomes.push(text);
        } else {
          const completion = await client.chat.completions.create({ model: "flaky/gpt-test", messages: hi });
          outcomes.push(completion.choices[0]?.message.content ?? "");
        }
      } catch (error) {
        outcomes.push(`failed: ${(error as Error).message}`);
      }
    }
    flakyUpstream.flaky({ rate: 0, seed: 0 });
    const failures = outcomes.filter((outcome) => outcome.startsWith("failed"));
    // Each request fails only if all six attempts do (0.3⁶ ≈ 0.07 %); the seeded run has none.
    expect(failures).toEqual([]);
    expect(outcomes.filter((outcome) => outcome === "flaky but fine")).toHaveLength(40);
    // The upstream really did fail often: the retries did the work.
    expect(chatCalls(flakyUpstream)).toBeGreaterThan(50);
  });

  it("skips a failing target of a route once its failure rate is over the threshold, without even trying it", async () => {
    const texts: string[] = [];
    for (let index = 0; index < 3; index++) {
      const completion = await client.chat.completions.create({ model: "with-fallback", messages: hi });
      texts.push(completion.choices[0]?.message.content ?? "");
    }
    // Three failed requests (two attempts each) reached the minimum: the breaker is open.
    expect(chatCalls(brokenUpstream)).toBe(6);
    for (let index = 0; index < 5; index++) {
      const completion = await client.chat.completions.create({ model: "with-fallback", messages: hi });
      texts.push(completion.choices[0]?.message.content ?? "");
    }
    expect(texts).toEqual(Array(8).fill("from the healthy one"));
    expect(chatCalls(brokenUpstream)).toBe(6);
    const health = (await (await fetch(`${station.url}/health`)).json()) as {
      providers: { id: string; status: string; detail?: string }[];
    };
    expect(health.providers.find((provider) => provider.id === "broken")).toMatchObject({
      status: "down",
      detail: expect.stringMatching(/cooling down/),
    });
  });

  it("still calls a model's only target while its breaker is open, and closes it when the target answers again", async () => {
    // broken/gpt-test alone: the breaker is open from the test above, yet the call goes out.
    const before = chatCalls(brokenUpstream);
    const error = await client.chat.completions.create({ model: "broken/gpt-test", messages: hi }).catch((caught: unknown) => caught);
    expect((error as { status?: number }).status).toBe(502);
    expect(chatCalls(brokenUpstream)).toBe(before + 2);
    brokenUpstream.flaky({ rate: 0, seed: 0 });
    const completion = await client.chat.completions.create({ model: "broken/gpt-test", messages: hi });
    expect(completion.choices[0]?.message.content).toBe("Hello from gpt-test!");
    const health = (await (await fetch(`${station.url}/health`)).json()) as { providers: { id: string; status: string }[] };
    expect(health.providers.find((provider) => provider.id === "broken")?.status).toBe("ok");
  });
});
