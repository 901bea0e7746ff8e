import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScriptedChatProvider, lastMessage, textOf } from "../support/chat-scripted-provider.ts";
import { eventsOf, postChatStream } from "../support/chat-sse-client.ts";
import { waitUntil } from "../support/mcp-in-memory-server.ts";
import { openRealtimeSocket } from "../support/open-realtime-socket.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";

/**
 * A realtime session storing into a chat session (?client_id=&session_id=) and an /api/chat turn
 * on that session take the same session lock: the realtime turn is written after the chat turn,
 * never between its user message and its reply.
 */
describe("realtime sessions and /api/chat share the chat session lock", () => {
  let station: TestStation;
  let releaseChat: () => void = () => {};
  let chatEntered: () => void = () => {};
  const entered = new Promise<void>((resolve) => {
    chatEntered = resolve;
  });
  const chat = createScriptedChatProvider("fake", async (request) => {
    const text = textOf(lastMessage(request));
    if (text === "a slow chat turn") {
      chatEntered();
      await new Promise<void>((resolve) => {
        releaseChat = resolve;
      });
      return { text: "the chat reply" };
    }
    return { text: `reply to ${text}` };
  });

  beforeAll(async () => {
    station = await startTestStation({ config: { defaults: { chatModel: "fake/scripted" } }, providers: [chat] });
  });
  afterAll(async () => {
    releaseChat();
    await station?.close();
  });

  it("a realtime turn that ends during a chat turn is stored after the chat turn's reply", async () => {
    const first = await postChatStream(station.url, { client_id: "ann", message: "hello" });
    const sessionId = String(eventsOf(first, "session")[0]?.session_id);
    const slow = postChatStream(station.url, { client_id: "ann", message: "a slow chat turn", session_id: sessionId });
    // The chat turn holds the session from before its model call until its reply is stored.
    await entered;

    const { socket, events } = await openRealtimeSocket(station.url, `model=fake/scripted&client_id=ann&session_id=${sessionId}`);
    try {
      const send = (event: Record<string, unknown>) => socket.send(JSON.stringify(event));
      send({ type: "session.update", session: { type: "realtime", output_modalities: ["text"] } });
      send({
        type: "conversation.item.create",
        item: { type: "message", role: "user", content: [{ type: "input_text", text: "typed live" }] },
      });
      send({ type: "response.create" });
      await waitUntil(() => events.some((event) => event.type === "response.done"), "the realtime response");
      releaseChat();
      expect((await slow).status).toBe(200);
      await waitUntil(() => events.some((event) => event.type === "station.conversation.stored"), "the realtime turn stored");
      const messages = await station.station.chat.conversations.listMessages(sessionId);
      expect(messages.map((message) => [message.role, message.content])).toEqual([
        ["user", "hello"],
        ["assistant", "reply to hello"],
        ["user", "a slow chat turn"],
        ["assistant", "the chat reply"],
        ["user", "typed live"],
        ["assistant", "reply to typed live"],
      ]);
    } finally {
      socket.close();
    }
  });
});
