import OpenAI from "openai";
import { beforeAll, describe, expect, it } from "vitest";
import { useDropinStation } from "../support/dropin-station.ts";
import { onePixelPng } from "../support/fake-openai-upstream.ts";

/** The official `openai` client's Responses API against Station, over an OpenAI-compatible chat upstream. */
describe("OpenAI Responses API", () => {
  const dropin = useDropinStation({ models: ["gpt-test", "gpt-4o-test", "text-embedding-test"] });
  let client: OpenAI;

  beforeAll(() => {
    client = new OpenAI({ apiKey: "unused", baseURL: `${dropin.station.url}/v1`, maxRetries: 0 });
  });

  const lastChatBody = () => dropin.lastChatRequest()?.body;

  it("responses.create answers with output_text, usage and the settings sent upstream", async () => {
    dropin.upstream.script({ text: "Paris." });
    const response = await client.responses.create({
      model: "fake/gpt-test",
      instructions: "Be brief",
      input: "Capital of France?",
      temperature: 0.3,
      max_output_tokens: 50,
    });
    expect(response.object).toBe("response");
    expect(response.id).toMatch(/^resp_/);
    expect(response.status).toBe("completed");
    expect(response.output_text).toBe("Paris.");
    expect(response.output[0]).toMatchObject({ type: "message", role: "assistant", content: [{ type: "output_text", text: "Paris." }] });
    expect(response.usage?.output_tokens).toBeGreaterThan(0);
    expect(lastChatBody()).toMatchObject({
      model: "gpt-test",
      temperature: 0.3,
      max_tokens: 50,
      messages: [
        { role: "system", content: "Be brief" },
        { role: "user", content: "Capital of France?" },
      ],
    });
  });

  it("streams events with increasing sequence numbers in the order the client enforces", async () => {
    dropin.upstream.script({ text: "Hello streaming world", chunkSize: 4 });
    const stream = await client.responses.create({ model: "fake/gpt-test", input: "Hi", stream: true });
    const events: { type: string; sequence_number: number }[] = [];
    for await (const event of stream) events.push(event);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    const types = events.map((event) => event.type);
    expect(types.slice(0, 4)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
    ]);
    expect(types.slice(-4)).toEqual([
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
    const text = events.flatMap((event) =>
      event.type === "response.output_text.delta" ? [(event as unknown as { delta: string }).delta] : [],
    );
    expect(text.join("")).toBe("Hello streaming world");
  });

  it("responses.stream() helper gives deltas and the final response", async () => {
    dropin.upstream.script({ text: "Helper works", chunkSize: 3, reasoning: "Think first." });
    const stream = client.responses.stream({ model: "fake/gpt-test", input: "Hi" });
    const deltas: string[] = [];
    stream.on("response.output_text.delta", (event) => deltas.push(event.delta));
    const final = await stream.finalResponse();
    expect(deltas.join("")).toBe("Helper works");
    expect(final.output_text).toBe("Helper works");
    expect(final.status).toBe("completed");
    expect(final.output[0]).toMatchObject({ type: "reasoning", content: [{ type: "reasoning_text", text: "Think first." }] });
  });

  it("runs a function-call round trip (streamed arguments, then function_call_output)", async () => {
    const tools: OpenAI.Responses.Tool[] = [
      {
        type: "function",
        name: "get_weather",
        description: "Weather for a city",
        parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        strict: false,
      },
    ];
    dropin.upstream.script({ toolCalls: [{ id: "call_7", name: "get_weather", arguments: '{"city":"Oslo"}' }], chunkSize: 4 });
    const stream = client.responses.stream({ model: "fake/gpt-test", input: "Weather in Oslo?", tools });
    const argumentDeltas: string[] = [];
    stream.on("response.function_call_arguments.delta", (event) => argumentDeltas.push(event.delta));
    const first = await stream.finalResponse();
    expect(argumentDeltas.length).toBeGreaterThan(1);
    const call = first.output.find((item) => item.type === "function_call");
    expect(call).toMatchObject({
      type: "function_call",
      call_id: "call_7",
      name: "get_weather",
      arguments: '{"city":"Oslo"}',
      status: "completed",
    });
    expect(lastChatBody()?.tools).toEqual([
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Weather for a city",
          parameters: tools[0]?.type === "function" ? tools[0].parameters : {},
        },
      },
    ]);

    dropin.upstream.script({ text: "Cold in Oslo." });
    const second = await client.responses.create({
      model: "fake/gpt-test",
      previous_response_id: first.id,
      input: [{ type: "function_call_output", call_id: "call_7", output: "-3 C, snow" }],
      tools,
    });
    expect(second.output_text).toBe("Cold in Oslo.");
    expect(second.previous_response_id).toBe(first.id);
    expect(lastChatBody()?.messages).toEqual([
      { role: "user", content: "Weather in Oslo?" },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_7", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }],
      },
      { role: "tool", content: "-3 C, snow", tool_call_id: "call_7" },
    ]);
  });

  it("previous_response_id continues a stored conversation", async () => {
    dropin.upstream.script({ text: "Nice to meet you, Ada." });
    const first = await client.responses.create({ model: "fake/gpt-test", input: "My name is Ada." });
    dropin.upstream.script({ text: "Your name is Ada." });
    const second = await client.responses.create({ model: "fake/gpt-test", input: "What is my name?", previous_response_id: first.id });
    expect(second.output_text).toBe("Your name is Ada.");
    expect(lastChatBody()?.messages).toEqual([
      { role: "user", content: "My name is Ada." },
      { role: "assistant", content: "Nice to meet you, Ada." },
      { role: "user", content: "What is my name?" },
    ]);
  });

  it("retrieves, lists input items of, and deletes a stored response", async () => {
    const created = await client.responses.create({ model: "fake/gpt-test", input: [{ role: "user", content: "Remember me" }] });
    const retrieved = await client.responses.retrieve(created.id);
    expect(retrieved.id).toBe(created.id);
    expect(retrieved.output_text).toBe(created.output_text);
    const items = await client.responses.inputItems.list(created.id);
    expect(items.data).toHaveLength(1);
    expect(items.data[0]).toMatchObject({ type: "message", role: "user", content: [{ type: "input_text", text: "Remember me" }] });
    await client.responses.delete(created.id);
    const gone = await client.responses.retrieve(created.id).catch((caught: unknown) => caught);
    expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("does not keep a response created with store: false", async () => {
    const created = await client.responses.create({ model: "fake/gpt-test", input: "ephemeral", store: false });
    expect((created as unknown as { store: boolean }).store).toBe(false);
    await expect(client.responses.retrieve(created.id)).rejects.toBeInstanceOf(OpenAI.NotFoundError);
  });

  it("takes input_image parts for a vision model and text.format json_schema", async () => {
    await client.responses.create({
      model: "fake/gpt-4o-test",
      input: [
        {
          role: "user",
          content: [
            { type: "input_text", text: "Describe" },
            { type: "input_image", image_url: `data:image/png;base64,${onePixelPng}`, detail: "auto" },
          ],
        },
      ],
      text: {
        format: { type: "json_schema", name: "answer", schema: { type: "object", properties: { a: { type: "string" } } }, strict: true },
      },
    });
    const body = lastChatBody() as { messages: { content: { type: string }[] }[]; response_format: unknown };
    expect(body.messages[0]?.content.map((part) => part.type)).toEqual(["text", "image_url"]);
    expect(body.response_format).toMatchObject({ type: "json_schema", json_schema: { name: "answer", strict: true } });
  });

  it("answers errors in OpenAI's shape", async () => {
    const notFound = await client.responses.create({ model: "fake/nope", input: "Hi" }).catch((caught: unknown) => caught);
    expect(notFound).toBeInstanceOf(OpenAI.NotFoundError);
    const missingPrevious = await client.responses
      .create({ model: "fake/gpt-test", input: "Hi", previous_response_id: "resp_missing" })
      .catch((caught: unknown) => caught);
    expect(missingPrevious).toBeInstanceOf(OpenAI.NotFoundError);
    expect((missingPrevious as InstanceType<typeof OpenAI.APIError>).param).toBe("previous_response_id");
    const bad = await client.responses
      .create({ model: "fake/gpt-test", input: 42 as unknown as string })
      .catch((caught: unknown) => caught);
    expect(bad).toBeInstanceOf(OpenAI.BadRequestError);
    expect((bad as InstanceType<typeof OpenAI.APIError>).param).toBe("input");
  });

  it("aborts the upstream call when the client goes away mid-stream", async () => {
    dropin.upstream.script({ text: "x".repeat(400), chunkSize: 1, chunkDelayMs: 5 });
    const before = dropin.upstream.aborted;
    const controller = new AbortController();
    const stream = await client.responses.create(
      { model: "fake/gpt-test", input: "Hi", stream: true, store: false },
      { signal: controller.signal },
    );
    for await (const event of stream) if (event.type === "response.output_text.delta") controller.abort();
    await dropin.upstream.waitForAborts(before + 1);
    expect(dropin.upstream.aborted).toBe(before + 1);
  });

  it("ends a stream that dies midway with response.failed", async () => {
    dropin.upstream.script({ text: "This reply will be cut off midway through", chunkSize: 2 });
    dropin.upstream.fail({ kind: "die-midway", afterChunks: 4 });
    const stream = await client.responses.create({ model: "fake/gpt-test", input: "Hi", stream: true });
    const events: { type: string; response?: { status: string; error: { code: string } | null } }[] = [];
    for await (const event of stream) events.push(event as (typeof events)[number]);
    const last = events.at(-1);
    expect(events.some((event) => event.type === "response.output_text.delta")).toBe(true);
    expect(last?.type).toBe("response.failed");
    expect(last?.response?.status).toBe("failed");
    expect(last?.response?.error?.code.length).toBeGreaterThan(0);
  });
});
