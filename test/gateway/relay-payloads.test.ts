import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAiUpstream, startFakeOpenAiUpstream } from "../support/fake-openai-upstream.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";

const fast = { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 }, cooldown: { minimumCalls: 100, cooldownMs: 1 } };

/** The relay serialises the client's body once per upstream model name; a retry reuses it, a fallback gets its own. */
describe("relayed bodies across retries and fallbacks", () => {
  let upstreamA: FakeOpenAiUpstream;
  let upstreamB: FakeOpenAiUpstream;
  let station: TestStation;
  let client: OpenAI;
  const chatBodies = (upstream: FakeOpenAiUpstream) =>
    upstream.requests.filter((request) => request.path.endsWith("/chat/completions")).map((request) => request.body);

  beforeAll(async () => {
    upstreamA = await startFakeOpenAiUpstream({ models: ["alpha"] });
    upstreamB = await startFakeOpenAiUpstream({ models: ["beta"] });
    upstreamB.script({ text: "from B" });
    station = await startTestStation({
      config: {
        providers: [
          { id: "a", type: "openai", baseUrl: upstreamA.url, ...fast },
          { id: "b", type: "openai", baseUrl: upstreamB.url, ...fast },
        ],
        routes: [{ model: "pair", strategy: "fallback", targets: ["a/alpha", "b/beta"] }],
      },
    });
    client = new OpenAI({ baseURL: `${station.url}/v1`, apiKey: "unused", maxRetries: 0 });
  });

  afterAll(async () => {
    await station?.close();
    await upstreamA?.close();
    await upstreamB?.close();
  });

  it("sends each target its own model name, and the retry of a target the same body", async () => {
    upstreamA.fail({ kind: "status", status: 500 }, 2);
    const completion = await client.chat.completions.create({
      model: "pair",
      messages: [{ role: "user", content: "Hi" }],
      temperature: 0.25,
    });
    expect(completion.choices[0]?.message.content).toBe("from B");
    const [first, retry] = chatBodies(upstreamA);
    expect(first).toMatchObject({ model: "alpha", temperature: 0.25 });
    expect(retry).toEqual(first);
    expect(chatBodies(upstreamB)).toEqual([{ ...first, model: "beta" }]);
  });
});
