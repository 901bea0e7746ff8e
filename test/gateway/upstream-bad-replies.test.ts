import OpenAI, { APIError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAiUpstream, startFakeOpenAiUpstream } from "../support/fake-openai-upstream.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";

/** A 2xx reply Station cannot use is the upstream's failure: retried, then a 502 that says what was wrong. */
describe("upstream replies that answer 200 but are unusable", () => {
  let upstream: FakeOpenAiUpstream;
  let station: TestStation;
  let client: OpenAI;

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ models: ["gpt-test", "text-embedding-test"] });
    station = await startTestStation({
      config: {
        providers: [
          {
            id: "up",
            type: "openai",
            baseUrl: upstream.url,
            retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 5 },
            cooldown: { minimumCalls: 100, cooldownMs: 1000 },
          },
        ],
      },
    });
    client = new OpenAI({ baseURL: `${station.url}/v1`, apiKey: "unused", maxRetries: 0 });
  });

  afterAll(async () => {
    await station?.close();
    await upstream?.close();
  });

  const embeddingCalls = () => upstream.requests.filter((request) => request.path.endsWith("/embeddings")).length;

  it("answers 502 upstream_error naming the problem when embeddings come back without data, after retrying", async () => {
    const before = embeddingCalls();
    upstream.fail({ kind: "body", body: '{"object":"list"}' }, 2);
    const error = await client.embeddings.create({ model: "up/text-embedding-test", input: ["a", "b"] }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(502);
    expect((error as APIError).code).toBe("upstream_error");
    expect((error as APIError).message).toContain("no usable embeddings");
    expect(embeddingCalls() - before).toBe(2);
  });

  it("answers 502 for a body that is not JSON, and a later good reply goes through", async () => {
    upstream.fail({ kind: "body", body: "<html>gateway hiccup</html>" }, 2);
    const error = await client.embeddings.create({ model: "up/text-embedding-test", input: "a" }).catch((caught: unknown) => caught);
    expect((error as APIError).status).toBe(502);
    expect((error as APIError).message).toContain("not JSON");
    const good = await client.embeddings.create({ model: "up/text-embedding-test", input: "a" });
    expect(good.data[0]?.embedding.length).toBeGreaterThan(0);
  });

  it("retries a single unusable reply and answers from the retry", async () => {
    upstream.fail({ kind: "body", body: '{"data":[{"index":0,"embedding":"oops"}]}' });
    const answered = await client.embeddings.create({ model: "up/text-embedding-test", input: "a", encoding_format: "float" });
    expect(answered.data).toHaveLength(1);
    expect(answered.data[0]?.embedding.every((value) => typeof value === "number")).toBe(true);
  });
});
