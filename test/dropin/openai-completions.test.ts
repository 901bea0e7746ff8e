import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type FakeOpenAiUpstream, startFakeOpenAiUpstream } from "../support/fake-openai-upstream.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";

/** `openai.completions.create` (legacy completions, fill-in-the-middle) against Station over a chat upstream. */
describe("OpenAI legacy completions", () => {
  let upstream: FakeOpenAiUpstream;
  let station: TestStation;
  let client: OpenAI;

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ models: ["gpt-test"] });
    station = await startTestStation({
      config: { providers: [{ id: "fake", type: "openai", baseUrl: upstream.url, retry: { attempts: 1 } }] },
    });
    client = new OpenAI({ apiKey: "unused", baseURL: `${station.url}/v1`, maxRetries: 0 });
  });

  afterAll(async () => {
    await station?.close();
    await upstream?.close();
  });

  beforeEach(() => upstream.script({}));

  const lastChatBody = () => upstream.requests.filter((request) => request.path === "/v1/chat/completions").at(-1)?.body;

  it("completes a prompt with stop and max_tokens sent upstream", async () => {
    upstream.script({ text: " jumps over the lazy dog" });
    const completion = await client.completions.create({
      model: "fake/gpt-test",
      prompt: "The quick brown fox",
      max_tokens: 16,
      stop: ["\n"],
    });
    expect(completion.object).toBe("text_completion");
    expect(completion.choices[0]).toMatchObject({ text: " jumps over the lazy dog", index: 0, finish_reason: "stop" });
    expect(completion.usage?.completion_tokens).toBeGreaterThan(0);
    expect(lastChatBody()).toMatchObject({ model: "gpt-test", max_tokens: 16, stop: ["\n"] });
    expect(((lastChatBody()?.messages ?? []) as { content: string }[]).at(-1)?.content).toBe("The quick brown fox");
  });

  it("fills in the middle with suffix", async () => {
    upstream.script({ text: "c = a + b" });
    const completion = await client.completions.create({
      model: "fake/gpt-test",
      prompt: "def add(a, b):\n    ",
      suffix: "\n    return c",
    });
    expect(completion.choices[0]?.text).toBe("c = a + b");
    const prompt = ((lastChatBody()?.messages ?? []) as { content: string }[]).at(-1)?.content;
    expect(prompt).toBe("<prefix>def add(a, b):\n    </prefix><suffix>\n    return c</suffix>");
  });

  it("streams text chunks, a finish and usage", async () => {
    upstream.script({ text: "streamed completion", chunkSize: 4 });
    const stream = await client.completions.create({
      model: "fake/gpt-test",
      prompt: "Hi",
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.text ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe("streamed completion");
    expect(finish).toBe("stop");
    expect(usage?.total_tokens).toBeGreaterThan(0);
  });

  it("the OpenAPI document covers every drop-in surface", async () => {
    const document = (await (await fetch(`${station.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    for (const path of [
      "/v1/completions",
      "/v1/messages",
      "/v1/messages/count_tokens",
      "/v1/responses",
      "/v1/responses/{id}",
      "/v1/responses/{id}/input_items",
      "/api/chat",
      "/api/generate",
      "/api/tags",
      "/api/show",
      "/api/ps",
      "/api/embed",
      "/api/embeddings",
      "/api/pull",
      "/api/delete",
      "/api/copy",
      "/api/version",
    ]) {
      expect(document.paths, path).toHaveProperty([path]);
    }
  });

  it("refuses echo and several prompts in OpenAI's shape", async () => {
    const echo = await client.completions.create({ model: "fake/gpt-test", prompt: "Hi", echo: true }).catch((caught: unknown) => caught);
    expect(echo).toBeInstanceOf(OpenAI.BadRequestError);
    expect((echo as InstanceType<typeof OpenAI.APIError>).param).toBe("echo");
    const many = await client.completions.create({ model: "fake/gpt-test", prompt: ["a", "b"] }).catch((caught: unknown) => caught);
    expect(many).toBeInstanceOf(OpenAI.BadRequestError);
    const unknown = await client.completions.create({ model: "fake/nope", prompt: "Hi" }).catch((caught: unknown) => caught);
    expect(unknown).toBeInstanceOf(OpenAI.NotFoundError);
  });
});
