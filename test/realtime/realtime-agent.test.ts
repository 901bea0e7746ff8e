import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatRequest, ImagePart } from "../../src/providers/spec/index.ts";
import { waitUntil } from "../support/mcp-in-memory-server.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { solidPng } from "../support/vision-images.ts";
import { connectRealtime, ofType } from "./realtime-client.ts";
import { createRealtimeFixture } from "./realtime-fixture.ts";

const { provider, blind, calc } = createRealtimeFixture();
let station: TestStation;
let frame: string;

beforeAll(async () => {
  station = await startTestStation({
    providers: [provider, blind],
    mcpServers: [calc.definition],
    // One frame a thousand seconds after a burst of two: no test runs long enough to see a refill.
    config: { defaults: { chatModel: "fake/scripted" }, realtime: { framesPerSecond: 0.001, frameBurst: 2, framesPerTurn: 2 } },
  });
  await waitUntil(() => station.station.mcp.catalog().length === 2, "the calc tools");
  frame = `data:image/png;base64,${(await solidPng(64, 48)).toString("base64")}`;
});

afterAll(async () => station?.close());

const imagesOf = (request: ChatRequest | undefined): ImagePart[] => {
  const content = request?.messages.at(-1)?.content;
  return typeof content === "string" || content === undefined ? [] : content.filter((part): part is ImagePart => part.type === "image");
};

describe("a realtime session", () => {
  it("opens with the defaults and the limits", async () => {
    const client = await connectRealtime(station.url);
    const created = await client.next("session.created");
    expect(created).toEqual({
      type: "session.created",
      protocol: "station.realtime.v1",
      session: {
        id: expect.stringMatching(/^rt_/),
        model: "fake/scripted",
        instructions: "",
        tools: true,
        client_id: null,
        temperature: null,
        max_tokens: null,
      },
      limits: { max_message_bytes: 25 * 1024 * 1024, frames_per_second: 0.001, frame_burst: 2, frames_per_turn: 2, history_turns: 20 },
    });
    await client.close();
  });

  it("streams a text turn as text.delta events, then response.done with the whole text", async () => {
    const client = await connectRealtime(station.url);
    client.send({ type: "text", event_id: "evt_1", text: "hello there, realtime" });
    const events = await client.untilResponseDone();
    const created = ofType(events, "response.created")[0];
    expect(created).toMatchObject({ event_id: "evt_1", model: "fake/scripted", frames: 0 });
    const deltas = ofType(events, "text.delta");
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.every((delta) => delta.response_id === created?.response_id && delta.event_id === "evt_1")).toBe(true);
    expect(deltas.map((delta) => delta.delta).join("")).toBe("You said: hello there, realtime");
    expect(events.at(-1)).toMatchObject({
      type: "response.done",
      event_id: "evt_1",
      response_id: created?.response_id,
      status: "completed",
      text: "You said: hello there, realtime",
      finish_reason: "stop",
      rounds: 1,
      tool_calls: 0,
      usage: { prompt_tokens: 10, completion_tokens: 8, total_tokens: 18 },
    });
    await client.close();
  });

  it("runs MCP tools: tool.call, tool.result, then the final answer", async () => {
    const client = await connectRealtime(station.url);
    await client.next("session.created");
    client.send({ type: "text", event_id: "sum", text: "sum 2 and 40" });
    const events = await client.untilResponseDone();
    const types = events.map((event) => event.type).filter((type) => type !== "text.delta");
    expect(types).toEqual(["response.created", "tool.call", "tool.result", "response.done"]);
    const call = ofType(events, "tool.call")[0];
    expect(call).toMatchObject({ event_id: "sum", name: "calc__add", server: "calc", tool: "add", arguments: { a: 2, b: 40 }, round: 0 });
    expect(ofType(events, "tool.result")[0]).toMatchObject({ call_id: call?.call_id, name: "calc__add", is_error: false, content: "42" });
    expect(ofType(events, "response.done")[0]).toMatchObject({ status: "completed", text: "The tool said: 42.", rounds: 2, tool_calls: 1 });
    // The provider was offered the tools with their JSON schemas.
    expect(
      provider.requests
        .at(-2)
        ?.tools?.map((tool) => tool.name)
        .sort(),
    ).toEqual(["calc__add", "calc__explode"]);
    await client.close();
  });

  it("hands a failing MCP tool's error to the model and finishes the turn", async () => {
    const client = await connectRealtime(station.url);
    client.send({ type: "text", text: "break it" });
    const events = await client.untilResponseDone();
    expect(ofType(events, "tool.result")[0]).toMatchObject({
      name: "calc__explode",
      is_error: true,
      content: expect.stringContaining("the calculator is on fire"),
    });
    expect(ofType(events, "response.done")[0]).toMatchObject({ status: "completed", text: expect.stringContaining("on fire") });
    expect(ofType(events, "error")).toEqual([]);
    await client.close();
  });

  it("applies session.update: instructions, sampling, tools off, client_id, model", async () => {
    const client = await connectRealtime(station.url);
    client.send({
      type: "session.update",
      event_id: "upd",
      session: { instructions: "Answer in French.", temperature: 0.2, max_tokens: 64, tools: false, client_id: "kiosk-1" },
    });
    expect(await client.next("session.updated")).toMatchObject({
      event_id: "upd",
      session: {
        model: "fake/scripted",
        instructions: "Answer in French.",
        tools: false,
        client_id: "kiosk-1",
        temperature: 0.2,
        max_tokens: 64,
      },
    });
    client.send({ type: "text", text: "bonjour" });
    await client.untilResponseDone();
    const request = provider.requests.at(-1);
    expect(request?.messages[0]).toEqual({ role: "system", content: "Answer in French." });
    expect(request?.temperature).toBe(0.2);
    expect(request?.maxTokens).toBe(64);
    expect(request?.tools).toBeUndefined();

    client.send({ type: "session.update", session: { model: "blind/text-only" } });
    expect((await client.next("session.updated")).session.model).toBe("blind/text-only");
    client.send({ type: "text", text: "who are you" });
    expect(await client.untilResponseDone()).toContainEqual(
      expect.objectContaining({ type: "response.created", model: "blind/text-only" }),
    );
    expect(blind.requests.at(-1)?.model).toBe("text-only");
    await client.close();
  });

  it("honours the client's MCP tool preferences", async () => {
    const put = await fetch(`${station.url}/api/mcp/preferences/no-explosives`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ disabled_tools: ["calc__explode"] }),
    });
    expect(put.status).toBe(200);
    const client = await connectRealtime(station.url);
    client.send({ type: "session.update", session: { client_id: "no-explosives" } });
    await client.next("session.updated");
    client.send({ type: "text", text: "break it" });
    const events = await client.untilResponseDone();
    expect(provider.requests.at(-2)?.tools?.map((tool) => tool.name)).toEqual(["calc__add"]);
    // The model asked anyway: it was not offered, so it is not run.
    expect(ofType(events, "tool.result")[0]).toMatchObject({ is_error: true, error_code: "tool_not_allowed" });
    await client.close();
  });

  it("remembers earlier turns, tool calls included, within the session only", async () => {
    const client = await connectRealtime(station.url);
    client.send({ type: "text", text: "sum 1 and 1" });
    await client.untilResponseDone();
    client.send({ type: "text", text: "and now?" });
    await client.untilResponseDone();
    const roles = provider.requests.at(-1)?.messages.map((message) => message.role);
    expect(roles).toEqual(["user", "assistant", "tool", "assistant", "user"]);
    await client.close();

    const fresh = await connectRealtime(station.url);
    fresh.send({ type: "text", text: "first words" });
    await fresh.untilResponseDone();
    expect(provider.requests.at(-1)?.messages).toHaveLength(1);
    await fresh.close();
  });
});

describe("video frames", () => {
  it("attaches the latest frames to the next turn for a vision model, then lets them go", async () => {
    const client = await connectRealtime(station.url);
    client.send({ type: "image", event_id: "f1", image: frame });
    expect(await client.next("frame.accepted")).toEqual({
      type: "frame.accepted",
      event_id: "f1",
      width: 64,
      height: 48,
      bytes: expect.any(Number),
      frames_held: 1,
    });
    client.send({ type: "text", text: "what do you see?" });
    const events = await client.untilResponseDone();
    expect(ofType(events, "response.created")[0]?.frames).toBe(1);
    const images = imagesOf(provider.requests.at(-1));
    expect(images).toHaveLength(1);
    expect(images[0]?.mediaType).toBe("image/jpeg");
    expect(ofType(events, "response.done")[0]?.text).toBe("You said: what do you see?[image image/jpeg]");

    client.send({ type: "text", text: "and now?" });
    await client.untilResponseDone();
    expect(imagesOf(provider.requests.at(-1))).toEqual([]);
    // The history keeps the words of the earlier turn, not its image.
    expect(provider.requests.at(-1)?.messages[0]).toEqual({ role: "user", content: "what do you see?" });
    await client.close();
  });

  it("drops frames over the rate limit and reports the limit, without decoding them", async () => {
    const client = await connectRealtime(station.url);
    for (let index = 1; index <= 5; index++) client.send({ type: "image", event_id: `f${index}`, image: frame });
    client.send({ type: "text", text: "count the frames" });
    const events = await client.untilResponseDone();
    expect(ofType(events, "frame.accepted").map((event) => event.event_id)).toEqual(["f1", "f2"]);
    const dropped = ofType(events, "frame.dropped");
    expect(dropped.map((event) => event.event_id)).toEqual(["f3", "f4", "f5"]);
    expect(dropped[0]).toMatchObject({ reason: "rate_limited", limit: { frames_per_second: 0.001, frame_burst: 2 } });
    expect(dropped[0]?.retry_after_ms).toBeGreaterThan(900_000);
    // Two frames held (framesPerTurn: 2), both attached.
    expect(imagesOf(provider.requests.at(-1))).toHaveLength(2);
    await client.close();
  });

  it("reads nothing into a model that cannot see: the turn fails clearly and the next one works", async () => {
    const client = await connectRealtime(station.url);
    client.send({ type: "session.update", session: { model: "blind/text-only" } });
    await client.next("session.updated");
    client.send({ type: "image", image: frame });
    await client.next("frame.accepted");
    client.send({ type: "text", event_id: "look", text: "what do you see?" });
    const events = await client.untilResponseDone();
    expect(ofType(events, "error")[0]).toMatchObject({ event_id: "look", code: "model_cannot_see_images" });
    expect(ofType(events, "response.done")[0]).toMatchObject({ status: "failed" });
    client.send({ type: "text", text: "then just talk" });
    expect(ofType(await client.untilResponseDone(), "response.done")[0]).toMatchObject({
      status: "completed",
      text: "You said: then just talk",
    });
    await client.close();
  });
});
