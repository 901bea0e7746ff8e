import OpenAI from "openai";
import { OpenAIRealtimeWS } from "openai/realtime/ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { z } from "zod";
import { createScriptedChatProvider, lastMessage, textOf } from "../support/chat-scripted-provider.ts";
import { espeakPcm24k } from "../support/espeak-speech.ts";
import { type FakeOpenAiAudioUpstream, startFakeOpenAiAudioUpstream } from "../support/fake-openai-audio-upstream.ts";
import { createInMemoryMcpServer, waitUntil } from "../support/mcp-in-memory-server.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { makeTestCertificate } from "../support/test-certificate.ts";

type Event = { type: string; event_id?: string; [key: string]: unknown };

/** Wraps the official client's socket: every event kept in order, awaited by type. */
function collect(rt: OpenAIRealtimeWS) {
  const events: Event[] = [];
  let read = 0;
  const waiters: (() => void)[] = [];
  rt.on("event", (event) => {
    events.push(event as unknown as Event);
    for (const wake of waiters.splice(0)) wake();
  });
  const errors: Event[] = [];
  rt.on("error", (error) => errors.push({ type: "error", error: (error as unknown as { error?: unknown }).error }));
  return {
    events,
    errors,
    /** The next unread event of `type` (and everything before it becomes read). */
    async next(type: string, deadlineMs = 20_000): Promise<Event> {
      const deadline = Date.now() + deadlineMs;
      for (;;) {
        const index = events.findIndex((event, position) => position >= read && event.type === type);
        if (index >= 0) {
          read = index + 1;
          return events[index] as Event;
        }
        if (Date.now() > deadline)
          throw new Error(
            `no ${type} event; got ${events
              .slice(read)
              .map((event) => event.type)
              .join(", ")}`,
          );
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    since(event: Event): Event[] {
      return events.slice(events.indexOf(event));
    },
  };
}

describe("/v1/realtime speaking OpenAI's Realtime protocol (GA) over wss://, with the official openai client", () => {
  const certificate = makeTestCertificate();
  const apiKey = "sk-station-realtime-test";
  let station: TestStation;
  let upstream: FakeOpenAiAudioUpstream;
  const chat = createScriptedChatProvider("fake", (request) => {
    const last = lastMessage(request);
    if (last?.role === "tool") return { text: `The tool said: ${textOf(last)}.` };
    const text = textOf(last);
    const sum = /sum (\d+) and (\d+)/.exec(text);
    if (sum !== null) return { toolCalls: [{ name: "calc__add", arguments: { a: Number(sum[1]), b: Number(sum[2]) } }] };
    if (text.startsWith("weather")) return { toolCalls: [{ name: "get_weather", arguments: { city: "Paris" } }] };
    if (text.startsWith("hang")) return { text: "Let me think about that for a very long time. ", hangAfterText: true };
    return { text: `You said: ${text}. That is all.` };
  });
  const calc = createInMemoryMcpServer("calc", (server) => {
    server.registerTool("add", { description: "Add two numbers", inputSchema: { a: z.number(), b: z.number() } }, async ({ a, b }) => ({
      content: [{ type: "text", text: String(a + b) }],
    }));
  });
  const connect = async (model = "fake/scripted") => {
    const client = new OpenAI({ apiKey, baseURL: `${station.url}/v1` });
    const rt = await OpenAIRealtimeWS.create(client, { model, options: { ca: certificate.ca } });
    const events = collect(rt);
    await new Promise<void>((resolve, reject) => {
      rt.socket.once("open", () => resolve());
      rt.socket.once("error", reject);
    });
    return { rt, events };
  };
  /** Streams PCM in 20 ms appends, as a microphone does. */
  const stream = (rt: OpenAIRealtimeWS, pcm: Buffer) => {
    for (let offset = 0; offset < pcm.length; offset += 960) {
      rt.send({ type: "input_audio_buffer.append", audio: pcm.subarray(offset, offset + 960).toString("base64") });
    }
  };
  const silence = (seconds: number) => Buffer.alloc(Math.round(seconds * 24_000) * 2);

  beforeAll(async () => {
    upstream = await startFakeOpenAiAudioUpstream();
    station = await startTestStation({
      config: {
        server: { apiKeys: [apiKey], tls: { cert: certificate.cert, key: certificate.key } },
        providers: [{ id: "voice", type: "openai", baseUrl: upstream.url }],
        defaults: { chatModel: "fake/scripted", transcriptionModel: "voice/whisper-test", speechModel: "voice/tts-test" },
      },
      providers: [chat],
      mcpServers: [calc.definition],
    });
    await waitUntil(() => station.station.mcp.catalog().length === 1, "the calc tool");
  });
  afterAll(async () => {
    await station?.close();
    await upstream?.close();
    certificate.remove();
  });

  it("a text turn: session.update, conversation.item.create, response.create → output_text events, response.done", async () => {
    const { rt, events } = await connect();
    try {
      const created = await events.next("session.created");
      expect(created.session).toMatchObject({ type: "realtime", model: "fake/scripted", output_modalities: ["audio"] });
      rt.send({
        type: "session.update",
        event_id: "evt_update",
        session: { type: "realtime", output_modalities: ["text"], instructions: "Be brief." },
      });
      const updated = await events.next("session.updated");
      expect(updated.session).toMatchObject({ output_modalities: ["text"], instructions: "Be brief." });
      rt.send({
        type: "conversation.item.create",
        item: { type: "message", role: "user", content: [{ type: "input_text", text: "hello" }] },
      });
      await events.next("conversation.item.added");
      rt.send({ type: "response.create" });
      const responseCreated = await events.next("response.created");
      const done = await events.next("response.done");
      const trail = events.since(responseCreated).map((event) => event.type);
      expect(trail).toEqual([
        "response.created",
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
        ...trail.filter((type) => type === "response.output_text.delta"),
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
      ]);
      const text = events.since(responseCreated).find((event) => event.type === "response.output_text.done")?.text;
      expect(text).toBe("You said: hello. That is all.");
      expect(done.response).toMatchObject({
        status: "completed",
        output: [{ type: "message", role: "assistant", content: [{ type: "output_text", text }] }],
      });
      expect(chat.requests.at(-1)?.messages[0]).toEqual({ role: "system", content: "Be brief." });
      // Every server event has its own id.
      expect(new Set(events.events.map((event) => event.event_id)).size).toBe(events.events.length);
    } finally {
      rt.close();
    }
  });

  it("an audio turn with server VAD: speech_started/stopped, committed, input transcription, an MCP tool, spoken reply", async () => {
    const { rt, events } = await connect();
    try {
      await events.next("session.created");
      upstream.transcript = "sum 2 and 3";
      stream(rt, Buffer.concat([silence(0.5), espeakPcm24k("What is the sum of two and three?"), silence(1.2)]));
      const started = await events.next("input_audio_buffer.speech_started");
      const stopped = await events.next("input_audio_buffer.speech_stopped");
      expect(stopped.item_id).toBe(started.item_id);
      expect(Number(stopped.audio_end_ms)).toBeGreaterThan(Number(started.audio_start_ms));
      expect(Number(started.audio_start_ms)).toBeGreaterThan(200);
      const committed = await events.next("input_audio_buffer.committed");
      expect(committed.item_id).toBe(started.item_id);
      const transcription = await events.next("conversation.item.input_audio_transcription.completed");
      expect(transcription).toMatchObject({ item_id: started.item_id, transcript: "sum 2 and 3" });
      // The turn's audio reached the speech-to-text upstream as a WAV file.
      const sttRequest = upstream.requests.filter((request) => request.path === "/v1/audio/transcriptions").at(-1);
      expect(sttRequest?.file?.bytes.subarray(0, 4).toString("latin1")).toBe("RIFF");
      const done = await events.next("response.done");
      const response = done.response as {
        status: string;
        output: { type: string; name?: string; output?: string; content?: { transcript?: string }[] }[];
      };
      expect(response.status).toBe("completed");
      expect(response.output[0]).toMatchObject({ type: "mcp_call", name: "calc__add", output: "5" });
      expect(response.output[1]?.content?.[0]?.transcript).toBe("The tool said: 5.");
      const audio = Buffer.concat(
        events.events
          .filter((event) => event.type === "response.output_audio.delta")
          .map((event) => Buffer.from(String(event.delta), "base64")),
      );
      expect(audio.equals(upstream.speechPcm)).toBe(true);
      const ttsRequest = upstream.requests.filter((request) => request.path === "/v1/audio/speech").at(-1);
      expect(ttsRequest?.json).toMatchObject({ model: "tts-test", input: "The tool said: 5.", voice: "alloy", response_format: "pcm" });
      expect(
        events.events.some((event) => event.type === "response.output_audio_transcript.done" && event.transcript === "The tool said: 5."),
      ).toBe(true);
    } finally {
      rt.close();
    }
  });

  it("a client function call round trip: function_call item, function_call_output, response.create", async () => {
    const { rt, events } = await connect();
    try {
      rt.send({
        type: "session.update",
        session: {
          type: "realtime",
          output_modalities: ["text"],
          tools: [
            {
              type: "function",
              name: "get_weather",
              description: "Weather for a city",
              parameters: { type: "object", properties: { city: { type: "string" } } },
            },
          ],
        },
      });
      await events.next("session.updated");
      rt.send({
        type: "conversation.item.create",
        item: { type: "message", role: "user", content: [{ type: "input_text", text: "weather in Paris?" }] },
      });
      rt.send({ type: "response.create" });
      const argumentsDone = await events.next("response.function_call_arguments.done");
      expect(argumentsDone).toMatchObject({ name: "get_weather", arguments: '{"city":"Paris"}' });
      const first = await events.next("response.done");
      expect((first.response as { output: unknown[] }).output).toEqual([
        expect.objectContaining({
          type: "function_call",
          name: "get_weather",
          call_id: argumentsDone.call_id,
          arguments: '{"city":"Paris"}',
        }),
      ]);
      rt.send({
        type: "conversation.item.create",
        item: { type: "function_call_output", call_id: String(argumentsDone.call_id), output: "sunny, 21 C" },
      });
      rt.send({ type: "response.create" });
      const textDone = await events.next("response.output_text.done");
      expect(textDone.text).toBe("The tool said: sunny, 21 C.");
      await events.next("response.done");
      const request = chat.requests.at(-1);
      expect(request?.messages.at(-2)).toMatchObject({
        role: "assistant",
        toolCalls: [{ id: argumentsDone.call_id, name: "get_weather" }],
      });
      expect(request?.messages.at(-1)).toEqual({ role: "tool", toolCallId: argumentsDone.call_id, content: "sunny, 21 C" });
    } finally {
      rt.close();
    }
  });

  it("response.cancel ends a running response as cancelled; bad events get error events and the session lives on", async () => {
    const { rt, events } = await connect();
    try {
      rt.send({ type: "session.update", session: { type: "realtime", output_modalities: ["text"] } });
      await events.next("session.updated");
      rt.send({
        type: "conversation.item.create",
        item: { type: "message", role: "user", content: [{ type: "input_text", text: "hang on" }] },
      });
      rt.send({ type: "response.create" });
      const created = await events.next("response.created");
      await events.next("response.output_text.delta");
      rt.send({ type: "response.create", event_id: "evt_second" });
      const busy = await events.next("error");
      expect(busy.error).toMatchObject({ code: "conversation_already_has_active_response", event_id: "evt_second" });
      rt.send({ type: "response.cancel", event_id: "evt_cancel" });
      const done = await events.next("response.done");
      expect(done.response).toMatchObject({
        id: (created.response as { id: string }).id,
        status: "cancelled",
        status_details: { type: "cancelled", reason: "client_cancelled" },
      });

      rt.socket.send("not json");
      expect((await events.next("error")).error).toMatchObject({ type: "invalid_request_error", code: "invalid_json" });
      rt.send({ type: "session.nonsense", event_id: "evt_bad" } as never);
      expect((await events.next("error")).error).toMatchObject({ code: "invalid_event", param: "type", event_id: "evt_bad" });
      rt.send({ type: "input_audio_buffer.append", event_id: "evt_odd", audio: Buffer.alloc(3).toString("base64") });
      expect((await events.next("error")).error).toMatchObject({ code: "invalid_audio", event_id: "evt_odd" });
      rt.send({ type: "session.update", session: { type: "realtime", audio: { input: { turn_detection: null } } } });
      await events.next("session.updated");
      rt.send({ type: "input_audio_buffer.append", audio: Buffer.alloc(960).toString("base64") });
      rt.send({ type: "input_audio_buffer.commit", event_id: "evt_commit" });
      expect((await events.next("error")).error).toMatchObject({ code: "input_audio_buffer_commit_empty", event_id: "evt_commit" });
      rt.send({ type: "response.cancel", event_id: "evt_nothing" });
      expect((await events.next("error")).error).toMatchObject({ code: "response_cancel_not_active" });
      rt.send({
        type: "conversation.item.create",
        item: { type: "message", role: "user", content: [{ type: "input_text", text: "still there?" }] },
      });
      rt.send({ type: "response.create" });
      expect((await events.next("response.output_text.done")).text).toBe("You said: still there?. That is all.");
    } finally {
      rt.close();
    }
  });

  it("barge-in: speech while the agent talks cancels its response (reason turn_detected)", async () => {
    const { rt, events } = await connect();
    try {
      await events.next("session.created");
      rt.send({
        type: "conversation.item.create",
        item: { type: "message", role: "user", content: [{ type: "input_text", text: "hang" }] },
      });
      rt.send({ type: "response.create" });
      await events.next("response.output_audio.delta");
      upstream.transcript = "stop";
      stream(rt, Buffer.concat([silence(0.3), espeakPcm24k("Stop, please."), silence(1)]));
      await events.next("input_audio_buffer.speech_started");
      const cancelled = await events.next("response.done");
      expect(cancelled.response).toMatchObject({ status: "cancelled", status_details: { reason: "turn_detected" } });
      // The interruption is itself a turn, answered next.
      const next = await events.next("response.done");
      expect(next.response).toMatchObject({ status: "completed" });
    } finally {
      rt.close();
    }
  });

  it("?client_id= applies the client's saved stt/tts settings (models, language, voice, speed) to the session", async () => {
    const { Agent, fetch: undiciFetch } = await import("undici");
    const dispatcher = new Agent({ connect: { ca: certificate.ca } });
    try {
      for (const [kind, body] of [
        ["stt", { enabled: true, model: "voice/whisper-test", language: "fr" }],
        ["tts", { enabled: true, provider: "voice/tts-test", voice: "nova", speed: 1.5 }],
      ] as const) {
        const response = await undiciFetch(`${station.url}/api/clients/alice/${kind}`, {
          method: "PUT",
          headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
          body: JSON.stringify(body),
          dispatcher,
        });
        expect(response.status).toBe(200);
      }
    } finally {
      await dispatcher.close();
    }
    const socket = new WebSocket(`${station.url.replace(/^https/, "wss")}/v1/realtime?model=fake/scripted&client_id=alice`, {
      ca: certificate.ca,
      headers: { authorization: `Bearer ${apiKey}` },
    });
    const first = await new Promise<Event>((resolve, reject) => {
      socket.once("message", (data) => resolve(JSON.parse(String(data)) as Event));
      socket.once("error", reject);
    });
    socket.close();
    expect(first.type).toBe("session.created");
    expect(first.session).toMatchObject({
      audio: { input: { transcription: { model: "voice/whisper-test", language: "fr" } }, output: { voice: "nova", speed: 1.5 } },
    });
  });

  it("?client_id=&session_id=new stores the turns as a chat conversation (transcript, reply); session_id=<id> continues it", async () => {
    const { Agent, fetch: undiciFetch } = await import("undici");
    const dispatcher = new Agent({ connect: { ca: certificate.ca } });
    const api = async (path: string) => {
      const response = await undiciFetch(`${station.url}${path}`, { headers: { authorization: `Bearer ${apiKey}` }, dispatcher });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };
    /** A raw ws client (the openai package's helper takes them only through its baseURL, see below), events collected in order. */
    const open = async (query: string) => {
      const socket = new WebSocket(`${station.url.replace(/^https/, "wss")}/v1/realtime?model=fake/scripted&${query}`, {
        ca: certificate.ca,
        headers: { authorization: `Bearer ${apiKey}` },
      });
      const events: Event[] = [];
      socket.on("message", (data) => events.push(JSON.parse(String(data)) as Event));
      await new Promise<void>((resolve, reject) => {
        socket.once("open", () => resolve());
        socket.once("error", reject);
      });
      const next = async (type: string, after = 0) => {
        await waitUntil(() => events.slice(after).some((event) => event.type === type), type);
        return events.slice(after).find((event) => event.type === type) as Event;
      };
      const send = (event: Record<string, unknown>) => socket.send(JSON.stringify(event));
      return { socket, events, next, send };
    };
    try {
      const first = await open("client_id=bob&session_id=new");
      await first.next("session.created");
      upstream.transcript = "what time is it";
      const pcm = Buffer.concat([silence(0.5), espeakPcm24k("What time is it?"), silence(1.2)]);
      for (let offset = 0; offset < pcm.length; offset += 960)
        first.send({ type: "input_audio_buffer.append", audio: pcm.subarray(offset, offset + 960).toString("base64") });
      const stored = await first.next("station.conversation.stored");
      expect(stored.message_ids).toHaveLength(2);
      const sessionId = String(stored.chat_session_id);
      first.socket.close();

      const listed = await api("/api/chat/sessions?client_id=bob");
      expect((listed.body.sessions as { id: string; title: string }[]).find((session) => session.id === sessionId)).toMatchObject({
        title: "what time is it",
      });
      const conversation = await api(`/api/chat/session/${sessionId}`);
      expect(conversation.status).toBe(200);
      expect(
        (conversation.body.messages as { role: string; content: string; metadata?: unknown }[]).map((message) => [
          message.role,
          message.content,
        ]),
      ).toEqual([
        ["user", "what time is it"],
        ["assistant", "You said: what time is it. That is all."],
      ]);

      // Continued: the stored turns are the model's history, and the new turn is appended.
      const second = await open(`client_id=bob&session_id=${sessionId}`);
      await second.next("session.created");
      second.send({ type: "session.update", session: { type: "realtime", output_modalities: ["text"] } });
      second.send({
        type: "conversation.item.create",
        item: { type: "message", role: "user", content: [{ type: "input_text", text: "and now?" }] },
      });
      second.send({ type: "response.create" });
      await second.next("station.conversation.stored");
      second.socket.close();
      expect(chat.requests.at(-1)?.messages.map((message) => [message.role, textOf(message)])).toEqual([
        ["user", "what time is it"],
        ["assistant", "You said: what time is it. That is all."],
        ["user", "and now?"],
      ]);
      const after = await api(`/api/chat/session/${sessionId}`);
      expect((after.body.messages as unknown[]).length).toBe(4);

      // Another client's session, or a session_id without a client_id, is refused before the upgrade.
      for (const [query, status] of [
        [`client_id=mallory&session_id=${sessionId}`, 404],
        [`session_id=${sessionId}`, 400],
      ] as const) {
        const refused = new WebSocket(`${station.url.replace(/^https/, "wss")}/v1/realtime?model=fake/scripted&${query}`, {
          ca: certificate.ca,
          headers: { authorization: `Bearer ${apiKey}` },
        });
        refused.on("error", () => {});
        const answer = await new Promise<number>((resolve) =>
          refused.once("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0)),
        );
        expect(answer).toBe(status);
        refused.terminate();
      }
    } finally {
      await dispatcher.close();
    }
  });

  it("the official helper opens a stored session through its baseURL: ?client_id=&session_id=&model= ahead of its /realtime", async () => {
    // OpenAIRealtimeWS builds `${baseURL}/realtime` and then sets ?model=: a baseURL that already
    // ends in /realtime?...&model= keeps the path, and the helper's own model replaces the empty one.
    const client = new OpenAI({ apiKey, baseURL: `${station.url}/v1/realtime?client_id=carol&session_id=new&model=` });
    const rt = await OpenAIRealtimeWS.create(client, { model: "fake/scripted", options: { ca: certificate.ca } });
    expect(rt.url.pathname).toBe("/v1/realtime");
    expect(Object.fromEntries(rt.url.searchParams)).toEqual({ client_id: "carol", session_id: "new", model: "fake/scripted" });
    const events = collect(rt);
    try {
      await events.next("session.created");
      rt.send({ type: "session.update", session: { type: "realtime", output_modalities: ["text"] } });
      rt.send({ type: "conversation.item.create", item: { type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] } });
      rt.send({ type: "response.create" });
      const stored = await events.next("station.conversation.stored");
      const sessions = station.station.chat.conversations;
      const messages = await sessions.listMessages(String(stored.chat_session_id));
      expect(messages.map((message) => [message.role, message.content])).toEqual([
        ["user", "hi"],
        ["assistant", "You said: hi. That is all."],
      ]);
    } finally {
      rt.close();
    }
  });

  it("browsers: subprotocols realtime + openai-insecure-api-key.<key>; without a key the upgrade is refused", async () => {
    const url = `${station.url.replace(/^https/, "wss")}/v1/realtime?model=fake/scripted`;
    const socket = new WebSocket(url, ["realtime", `openai-insecure-api-key.${apiKey}`], { ca: certificate.ca });
    const first = await new Promise<Event>((resolve, reject) => {
      socket.once("message", (data) => resolve(JSON.parse(String(data)) as Event));
      socket.once("error", reject);
    });
    expect(socket.protocol).toBe("realtime");
    expect(first.type).toBe("session.created");
    socket.close();
    const refused = new WebSocket(url, ["realtime"], { ca: certificate.ca });
    refused.on("error", () => {});
    const status = await new Promise<number>((resolve) =>
      refused.once("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0)),
    );
    expect(status).toBe(401);
    refused.terminate();
  });
});
