import { createServer } from "node:net";
import OpenAI, { APIError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAiUpstream, startFakeOpenAiUpstream } from "../support/fake-openai-upstream.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";

/** A port nothing listens on: connections are refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === "object" && address !== null ? address.port : 1;
}

const fast = { retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2000 }, cooldown: { minimumCalls: 1, cooldownMs: 600_000 } };
const hi = [{ role: "user" as const, content: "Hi" }];

describe("resilience: retries, fallback, cooldown, load balancing, broken streams", () => {
  let upstreamA: FakeOpenAiUpstream;
  let upstreamB: FakeOpenAiUpstream;
  let station: TestStation;
  let client: OpenAI;
  const countOf = (upstream: FakeOpenAiUpstream): number =>
    upstream.requests.filter((request) => request.path.endsWith("/chat/completions")).length;

  beforeAll(async () => {
    upstreamA = await startFakeOpenAiUpstream({ models: ["gpt-test"] });
    upstreamB = await startFakeOpenAiUpstream({ models: ["gpt-test"] });
    upstreamA.script({ text: "from A" });
    upstreamB.script({ text: "from B" });
    const dead = await closedPort();
    const provider = (id: string, baseUrl: string, extra: Record<string, unknown> = {}) => ({
      id,
      type: "openai",
      baseUrl,
      ...fast,
      ...extra,
    });
    station = await startTestStation({
      config: {
        providers: [
          provider("a", upstreamA.url),
          provider("b", upstreamB.url),
          provider("retry", upstreamA.url),
          provider("fa", upstreamA.url),
          provider("fb", upstreamB.url),
          provider("la", upstreamA.url),
          provider("lb", upstreamB.url),
          provider("short", upstreamA.url, { timeoutMs: 300 }),
          provider("dead", `http://127.0.0.1:${dead}/v1`, { models: [{ name: "gpt-test" }] }),
        ],
        routes: [
          { model: "ordered", strategy: "fallback", targets: ["fa/gpt-test", "fb/gpt-test"] },
          { model: "survivor", strategy: "fallback", targets: ["dead/gpt-test", "a/gpt-test"] },
          {
            model: "balanced",
            strategy: "loadbalance",
            targets: [
              { model: "la/gpt-test", weight: 3 },
              { model: "lb/gpt-test", weight: 1 },
            ],
          },
        ],
      },
    });
    client = new OpenAI({ baseURL: `${station.url}/v1`, apiKey: "unused", maxRetries: 0 });
  });

  afterAll(async () => {
    await station?.close();
    await upstreamA?.close();
    await upstreamB?.close();
  });

  it("retries a 500 and a reset connection on the same target, then answers", async () => {
    const before = countOf(upstreamA);
    upstreamA.fail({ kind: "status", status: 500 });
    const first = await client.chat.completions.create({ model: "retry/gpt-test", messages: hi });
    expect(first.choices[0]?.message.content).toBe("from A");
    upstreamA.fail({ kind: "reset" });
    const second = await client.chat.completions.create({ model: "retry/gpt-test", messages: hi });
    expect(second.choices[0]?.message.content).toBe("from A");
    // Each call: one failed attempt plus one retry.
    expect(countOf(upstreamA) - before).toBe(4);
  });

  it("retries a JSON reply cut off midway (nothing reached the client yet), then answers", async () => {
    const before = countOf(upstreamA);
    upstreamA.fail({ kind: "die-midway", afterChunks: 0 });
    const answered = await client.chat.completions.create({ model: "retry/gpt-test", messages: hi });
    expect(answered.choices[0]?.message.content).toBe("from A");
    expect(countOf(upstreamA) - before).toBe(2);
  });

  it("honours a short Retry-After and passes a long one to the client as a 429 with Retry-After", async () => {
    upstreamA.fail({ kind: "status", status: 429, retryAfter: 0 });
    const answered = await client.chat.completions.create({ model: "retry/gpt-test", messages: hi });
    expect(answered.choices[0]?.message.content).toBe("from A");

    const before = countOf(upstreamA);
    upstreamA.fail({ kind: "status", status: 429, retryAfter: 30 });
    const response = await fetch(`${station.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "a/gpt-test", messages: hi }),
    });
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("30");
    const body = (await response.json()) as { error: { type: string; code: string } };
    expect(body.error).toMatchObject({ type: "rate_limit_error", code: "upstream_rate_limited" });
    // 30 s is longer than maxDelayMs: no retry was attempted.
    expect(countOf(upstreamA) - before).toBe(1);
  });

  it("answers 502 in OpenAI's shape when the upstream refuses connections, and a fallback route survives it", async () => {
    const error = await client.chat.completions.create({ model: "dead/gpt-test", messages: hi }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(502);
    expect((error as APIError).code).toBe("upstream_unavailable");
    const rescued = await client.chat.completions.create({ model: "survivor", messages: hi });
    expect(rescued.choices[0]?.message.content).toBe("from A");
  });

  it("times out a slow upstream with a clear error", async () => {
    upstreamA.fail({ kind: "slow", delayMs: 5_000 }, 2);
    const error = await client.chat.completions.create({ model: "short/gpt-test", messages: hi }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(504);
    expect((error as APIError).code).toBe("upstream_timeout");
    expect((error as APIError).message).toMatch(/timeout/);
  });

  it("falls back in order, then skips a target that is cooling down", async () => {
    const beforeA = countOf(upstreamA);
    const beforeB = countOf(upstreamB);
    upstreamA.fail({ kind: "status", status: 503 }, 2);
    const first = await client.chat.completions.create({ model: "ordered", messages: hi });
    expect(first.choices[0]?.message.content).toBe("from B");
    expect([countOf(upstreamA) - beforeA, countOf(upstreamB) - beforeB]).toEqual([2, 1]);
    // fa/gpt-test failed twice: its breaker is open, so the next call goes straight to B.
    const second = await client.chat.completions.create({ model: "ordered", messages: hi });
    expect(second.choices[0]?.message.content).toBe("from B");
    expect([countOf(upstreamA) - beforeA, countOf(upstreamB) - beforeB]).toEqual([2, 2]);
    const health = (await (await fetch(`${station.url}/health`)).json()) as {
      status: string;
      providers: { id: string; status: string; detail?: string }[];
    };
    expect(health.status).toBe("degraded");
    expect(health.providers.find((provider) => provider.id === "fa")).toMatchObject({
      status: "down",
      detail: expect.stringMatching(/cooling down/),
    });
    expect(health.providers.find((provider) => provider.id === "fb")?.status).toBe("ok");
  });

  it("keeps calling a model's only target while its breaker is open: no instant 503", async () => {
    upstreamA.fail({ kind: "status", status: 500 }, 2);
    await client.chat.completions.create({ model: "a/gpt-test", messages: hi }).catch(() => undefined);
    const health = (await (await fetch(`${station.url}/health`)).json()) as { providers: { id: string; status: string }[] };
    expect(health.providers.find((provider) => provider.id === "a")?.status).toBe("down");
    const answered = await client.chat.completions.create({ model: "a/gpt-test", messages: hi });
    expect(answered.choices[0]?.message.content).toBe("from A");
  });

  it("spreads a weighted load-balanced route 3:1 across its targets", async () => {
    const beforeA = countOf(upstreamA);
    const beforeB = countOf(upstreamB);
    const answers: string[] = [];
    for (let index = 0; index < 8; index++) {
      const completion = await client.chat.completions.create({ model: "balanced", messages: hi });
      answers.push(completion.choices[0]?.message.content ?? "");
    }
    expect([countOf(upstreamA) - beforeA, countOf(upstreamB) - beforeB]).toEqual([6, 2]);
    expect(answers.filter((answer) => answer === "from B")).toHaveLength(2);
  });

  it("ends a stream that dies midway with a clean error, without retrying or hanging", async () => {
    upstreamB.script({ text: "This reply will be cut short by the fake upstream", chunkSize: 4 });
    const before = countOf(upstreamB);
    upstreamB.fail({ kind: "die-midway", afterChunks: 3 });
    const stream = await client.chat.completions.create({ model: "b/gpt-test", messages: hi, stream: true });
    let text = "";
    const error = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(Error);
    expect(text.length).toBeGreaterThan(0);
    expect(countOf(upstreamB) - before).toBe(1);
    upstreamB.script({ text: "from B" });
  });

  it("aborts the upstream call when the client disconnects from a slow reply", async () => {
    const abortsBefore = upstreamB.aborted;
    upstreamB.fail({ kind: "slow", delayMs: 20_000 });
    const controller = new AbortController();
    const pending = client.chat.completions
      .create({ model: "b/gpt-test", messages: hi }, { signal: controller.signal })
      .catch((caught: unknown) => caught);
    // Wait until the upstream has the request, then hang up.
    while (upstreamB.requests.at(-1)?.body === undefined || countOf(upstreamB) === 0)
      await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    await upstreamB.waitForAborts(abortsBefore + 1);
    expect(upstreamB.aborted).toBe(abortsBefore + 1);
  });

  it("counts calls, errors and latency per provider in /metrics", async () => {
    const text = await (await fetch(`${station.url}/metrics`)).text();
    expect(text).toMatch(/station_provider_requests_total\{provider="retry",operation="chat",outcome="ok"\} \d+/);
    expect(text).toMatch(/station_provider_errors_total\{provider="fa",code="503"\} 2/);
    expect(text).toMatch(/station_provider_request_duration_seconds_bucket\{le="[^"]+",provider="a",operation="chat"\}/);
  });
});
