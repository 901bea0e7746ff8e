import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitUntil } from "../support/mcp-in-memory-server.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { solidPng, truncatedPng } from "../support/vision-images.ts";
import { connectRealtime, ofType, type RealtimeClient } from "./realtime-client.ts";
import { createRealtimeFixture } from "./realtime-fixture.ts";

const { provider, calc } = createRealtimeFixture();
const maxMessageBytes = 64 * 1024;
let station: TestStation;

beforeAll(async () => {
  station = await startTestStation({
    providers: [provider],
    mcpServers: [calc.definition],
    config: { defaults: { chatModel: "fake/scripted" }, realtime: { maxMessageBytes, frameBurst: 10 } },
  });
  await waitUntil(() => station.station.mcp.catalog().length === 2, "the calc tools");
});

afterAll(async () => station?.close());

/** The connection still answers a good turn, start to finish. */
async function expectStillWorks(client: RealtimeClient, text = "still there?"): Promise<void> {
  client.send({ type: "text", text });
  const done = await client.next("response.done");
  expect(done).toMatchObject({ status: "completed", text: `You said: ${text}` });
}

describe("bad input never kills the connection", () => {
  const base64Png = async () => (await solidPng(8, 8)).toString("base64");
  const cases: {
    name: string;
    send: () => Promise<string | Buffer> | string | Buffer;
    binary?: boolean;
    code: string;
    eventId?: string;
    param?: string;
  }[] = [
    { name: "malformed JSON", send: () => '{"type": "text", "text": "unterminated', code: "invalid_json" },
    { name: "a JSON array", send: () => "[1, 2, 3]", code: "invalid_message" },
    { name: "JSON null", send: () => "null", code: "invalid_message" },
    { name: "no type", send: () => JSON.stringify({ event_id: "e0", text: "hi" }), code: "invalid_message", eventId: "e0", param: "type" },
    {
      name: "an unknown type",
      send: () => JSON.stringify({ type: "response.create", event_id: "e1" }),
      code: "unknown_type",
      eventId: "e1",
    },
    {
      name: "text of the wrong type",
      send: () => JSON.stringify({ type: "text", event_id: "e2", text: 42 }),
      code: "invalid_message",
      eventId: "e2",
      param: "text",
    },
    { name: "an empty text", send: () => JSON.stringify({ type: "text", text: "" }), code: "invalid_message", param: "text" },
    {
      name: "an unknown field",
      send: () => JSON.stringify({ type: "text", text: "hi", voice: "alloy" }),
      code: "invalid_message",
      param: "voice",
    },
    {
      name: "an unknown session setting",
      send: () => JSON.stringify({ type: "session.update", session: { voice: "alloy" } }),
      code: "invalid_message",
      param: "session.voice",
    },
    {
      name: "a session setting of the wrong type",
      send: () => JSON.stringify({ type: "session.update", event_id: "e3", session: { temperature: "hot" } }),
      code: "invalid_message",
      eventId: "e3",
      param: "session.temperature",
    },
    { name: "a binary message", send: () => Buffer.from([1, 2, 3]), binary: true, code: "invalid_message" },
    {
      name: "a message over realtime.maxMessageBytes",
      send: () => JSON.stringify({ type: "text", text: "x".repeat(maxMessageBytes + 10) }),
      code: "message_too_large",
    },
    {
      name: "a truncated image",
      send: async () => JSON.stringify({ type: "image", event_id: "e4", image: (await truncatedPng()).toString("base64") }),
      code: "invalid_image",
      eventId: "e4",
    },
    {
      name: "an image that is not base64",
      send: () => JSON.stringify({ type: "image", image: "data:image/png;base64,@@@@" }),
      code: "invalid_image",
    },
    {
      name: "text pretending to be an image",
      send: () => JSON.stringify({ type: "image", image: Buffer.from("hello, I am not a picture").toString("base64") }),
      code: "invalid_image",
    },
    {
      name: "an image URL (frames are inline only)",
      send: () => JSON.stringify({ type: "image", image: "https://example.com/cat.jpg" }),
      code: "invalid_image",
    },
    {
      name: "an unknown model",
      send: () => JSON.stringify({ type: "session.update", event_id: "e5", session: { model: "nowhere/nothing" } }),
      code: "model_not_found",
      eventId: "e5",
    },
    {
      name: "audio (no speech-to-text engine)",
      send: async () => JSON.stringify({ type: "audio", event_id: "e6", audio: await base64Png(), format: "pcm16" }),
      code: "unsupported",
      eventId: "e6",
    },
    {
      name: "a cancel with nothing running",
      send: () => JSON.stringify({ type: "response.cancel", event_id: "e7" }),
      code: "no_active_response",
      eventId: "e7",
    },
  ];

  it.each(cases)("$name → error $code, and the next turn works", async ({ send, binary, code, eventId, param }) => {
    const client = await connectRealtime(station.url);
    await client.next("session.created");
    client.sendRaw(await send(), { binary: binary ?? false });
    const error = await client.next("error");
    expect(error.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(10);
    if (eventId !== undefined) expect(error.event_id).toBe(eventId);
    if (param !== undefined) expect(error.param).toBe(param);
    await expectStillWorks(client);
    await client.close();
  });

  it("survives every bad message on one connection, and an unknown model changes nothing", async () => {
    const client = await connectRealtime(station.url);
    const created = await client.next("session.created");
    for (const { send, binary } of cases) client.sendRaw(await send(), { binary: binary ?? false });
    await expectStillWorks(client);
    expect(ofType(client.events, "error").map((error) => error.code)).toEqual(cases.map((entry) => entry.code));
    client.send({ type: "session.update", session: { instructions: "keep" } });
    expect((await client.next("session.updated")).session).toEqual({ ...created.session, instructions: "keep" });
    await client.close();
  });

  it("closes (1009) only a message past twice the limit, which ws cannot skip unread", async () => {
    const client = await connectRealtime(station.url);
    client.sendRaw(JSON.stringify({ type: "text", text: "x".repeat(maxMessageBytes * 2 + 10) }));
    expect(await client.closed).toBe(1009);
    await expectStillWorks(await connectRealtime(station.url));
  });

  it("closes (1007) a text message that is not valid UTF-8, as RFC 6455 requires, and serves the next connection", async () => {
    const client = await connectRealtime(station.url);
    await client.next("session.created");
    client.sendRaw(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { binary: false });
    expect(await client.closed).toBe(1007);
    await expectStillWorks(await connectRealtime(station.url));
  });

  it("reports a failing upstream as error + response.done failed, then carries on", async () => {
    const client = await connectRealtime(station.url);
    client.send({ type: "text", event_id: "up", text: "fail upstream" });
    const events = await client.untilResponseDone();
    const responseId = ofType(events, "response.created")[0]?.response_id;
    expect(ofType(events, "error")[0]).toMatchObject({ event_id: "up", response_id: responseId, code: "upstream_error" });
    expect(events.at(-1)).toMatchObject({ type: "response.done", response_id: responseId, status: "failed", finish_reason: "error" });
    await expectStillWorks(client);
    // The failed turn is not part of the conversation.
    expect(provider.requests.at(-1)?.messages).toHaveLength(1);
    await client.close();
  });
});

describe("one response at a time, cancellable", () => {
  it("answers a text during a running response with busy, cancels on response.cancel, and aborts the model call", async () => {
    const client = await connectRealtime(station.url);
    const abortedBefore = provider.aborted;
    client.send({ type: "text", event_id: "long", text: "hang on" });
    const created = await client.next("response.created");
    await client.next("text.delta");
    client.send({ type: "text", event_id: "second", text: "me too" });
    expect(await client.next("error")).toMatchObject({ event_id: "second", code: "busy", response_id: created.response_id });
    client.send({ type: "response.cancel", response_id: "resp_someone_else" });
    expect(await client.next("error")).toMatchObject({ code: "no_active_response" });
    client.send({ type: "response.cancel", event_id: "stop" });
    expect(await client.next("response.done")).toMatchObject({
      event_id: "long",
      response_id: created.response_id,
      status: "cancelled",
      text: "Let me think",
      finish_reason: "cancelled",
    });
    expect(provider.aborted).toBe(abortedBefore + 1);
    client.send({ type: "text", text: "and now?" });
    await client.next("response.done");
    // The cancelled turn's words, as far as they went, stay in the conversation.
    expect(provider.requests.at(-1)?.messages.map((message) => message.content)).toEqual(["hang on", "Let me think", "and now?"]);
    await client.close();
  });

  it("aborts the model call when the client disconnects mid-response", async () => {
    const client = await connectRealtime(station.url);
    const abortedBefore = provider.aborted;
    client.send({ type: "text", text: "hang in there" });
    await client.next("text.delta");
    client.socket.terminate();
    await waitUntil(() => provider.aborted === abortedBefore + 1, "the model call to be aborted");
    await expectStillWorks(await connectRealtime(station.url));
  });

  it("keeps frames sent during a response for the next one", async () => {
    const client = await connectRealtime(station.url);
    client.send({ type: "text", text: "hang on" });
    await client.next("text.delta");
    client.send({ type: "image", image: (await solidPng(16, 16)).toString("base64") });
    expect(await client.next("frame.accepted")).toMatchObject({ frames_held: 1 });
    client.send({ type: "response.cancel" });
    await client.next("response.done");
    client.send({ type: "text", text: "look" });
    expect(await client.next("response.created")).toMatchObject({ frames: 1 });
    expect(await client.next("response.done")).toMatchObject({ status: "completed", text: "You said: look[image image/jpeg]" });
    await client.close();
  });
});
