import OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { useDropinStation } from "../support/dropin-station.ts";

/** `openai.completions.create` (legacy completions, fill-in-the-middle) against Station over a chat upstream. */
describe("OpenAI legacy completions", () => {
  const dropin = useDropinStation({ models: ["gpt-test"] });
  let client: OpenAI;

  beforeAll(() => {
    client = new OpenAI({ apiKey: "unused", baseURL: `${dropin.station.url}/v1`, maxRetries: 0 });
  });

  const lastChatBody = () => dropin.lastChatRequest()?.body;

  it("completes a prompt with stop and max_tokens sent upstream", async () => {
    dropin.upstream.script({ text: " jumps over the lazy dog" });
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
    dropin.upstream.script({ text: "c = a + b" });
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
    dropin.upstream.script({ text: "streamed completion", chunkSize: 4 });
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
    const document = (await (await fetch(`${dropin.station.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
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
