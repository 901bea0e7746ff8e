import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScriptedChatProvider, lastMessage, textOf } from "../support/chat-scripted-provider.ts";
import { eventsOf, postChatStream } from "../support/chat-sse-client.ts";
import { espeakWav } from "../support/espeak-speech.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { writeTinyMoonshine } from "../support/tiny-moonshine.ts";
import { writeTinyVits } from "../support/tiny-vits.ts";

/**
 * Voice turns in POST /api/chat/stream on the local engine only: random-weight Moonshines (each
 * scripted to say its own words, so the transcript tells which model heard the audio) and VITS
 * models at two sample rates (the WAV header tells which one spoke), chosen by the client's stt
 * and tts settings.
 */
describe("/api/chat voice turns: audio in with the client's stt settings, the reply spoken with its tts settings", () => {
  let station: TestStation;
  const dataDir = mkdtempSync(path.join(tmpdir(), "station-chat-voice-"));
  const chat = createScriptedChatProvider("fake", (request) => ({
    text: `You asked: ${textOf(lastMessage(request))}. Here is a longer answer, spoken piece by piece. That is all.`,
  }));
  const speech = espeakWav("What is the weather like in Paris today?");
  const api = async (method: string, url: string, body?: unknown) => {
    const response = await fetch(`${station.url}${url}`, {
      method,
      headers: body === undefined ? {} : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    mkdirSync(path.join(dataDir, "models"), { recursive: true });
    writeTinyMoonshine(path.join(dataDir, "models", "moonshine-alpha"), { text: "weather in paris" });
    writeTinyMoonshine(path.join(dataDir, "models", "moonshine-bravo"), { text: "bravo heard this" });
    writeTinyVits(path.join(dataDir, "models", "vits-16k"), { samplingRate: 16_000 });
    writeTinyVits(path.join(dataDir, "models", "vits-22k"), { samplingRate: 22_050 });
    station = await startTestStation({
      dataDir,
      config: {
        providers: [{ id: "speech", type: "local-speech", threads: 1 }],
        defaults: { chatModel: "fake/scripted", transcriptionModel: "speech/moonshine-bravo", speechModel: "speech/vits-16k" },
      },
      providers: [chat],
    });
    expect((await api("PUT", "/api/clients/ana/stt", { enabled: true, model: "speech/moonshine-alpha", language: "en-GB" })).status).toBe(
      200,
    );
    expect((await api("PUT", "/api/clients/ana/tts", { enabled: true, provider: "speech/vits-22k", format: "wav" })).status).toBe(200);
  });
  afterAll(async () => {
    await station?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("an uploaded audio attachment is the message: transcribed by the client's stt.model, the reply spoken by its tts.provider", async () => {
    const form = new FormData();
    form.append("file", new Blob([speech]), "question.wav");
    const uploaded = (await (await fetch(`${station.url}/api/uploads`, { method: "POST", body: form })).json()) as { id: string };
    const result = await postChatStream(station.url, { client_id: "ana", attachments: [uploaded.id], speak: true });
    expect(result.status).toBe(200);
    const order = result.events.map((event) => event.event);
    expect(order[0]).toBe("session");
    expect(order[1]).toBe("transcript");
    expect(order.at(-2)).toBe("audio.done");
    expect(order.at(-1)).toBe("done");
    expect(eventsOf(result, "transcript")[0]).toMatchObject({
      text: "weather in paris",
      model: "speech/moonshine-alpha",
      source: "attachments",
    });
    expect(textOf(lastMessage(chat.requests.at(-1) as never))).toBe("weather in paris");
    // Spoken while written: the first piece ends at its first clause, then sentence by sentence.
    const pieces = eventsOf(result, "audio") as { index: number; text: string; format: string; audio: string }[];
    expect(pieces.map((piece) => piece.text)).toEqual([
      "You asked: weather in paris.",
      "Here is a longer answer, spoken piece by piece.",
      "That is all.",
    ]);
    for (const [index, piece] of pieces.entries()) {
      const wav = Buffer.from(piece.audio, "base64");
      expect(piece.index).toBe(index);
      expect(wav.subarray(0, 4).toString("latin1")).toBe("RIFF");
      // vits-22k spoke (the client's tts.provider), not the default vits-16k.
      expect(wav.readUInt32LE(24)).toBe(22_050);
      expect(wav.byteLength).toBeGreaterThan(44 + 1000);
    }
    expect(eventsOf(result, "audio.done")[0]).toMatchObject({ pieces: 3, model: "speech/vits-22k", format: "wav" });
    // The words are stored as the user's message (a later turn reads them; the audio adds nothing to history).
    const sessionId = eventsOf(result, "session")[0]?.session_id as string;
    const stored = (await api("GET", `/api/chat/session/${sessionId}`)).body.messages as {
      role: string;
      content: string;
      metadata?: unknown;
    }[];
    expect(stored[0]).toMatchObject({ role: "user", content: "weather in paris" });
    const later = await postChatStream(station.url, { client_id: "ana", session_id: sessionId, message: "and tomorrow?" });
    expect(eventsOf(later, "done")).toHaveLength(1);
    expect(eventsOf(later, "audio")).toHaveLength(0);
    expect(chat.requests.at(-1)?.messages.map((message) => textOf(message))).toEqual([
      "weather in paris",
      expect.stringContaining("You asked: weather in paris."),
      "and tomorrow?",
    ]);
  });

  it("inline audio with a typed message; a client without stt settings gets the default transcription model", async () => {
    const result = await postChatStream(station.url, {
      client_id: "bea",
      message: "Answer briefly.",
      audio: { data: `data:audio/wav;base64,${speech.toString("base64")}` },
    });
    expect(eventsOf(result, "transcript")[0]).toMatchObject({ text: "bravo heard this", model: "speech/moonshine-bravo", source: "audio" });
    expect(textOf(lastMessage(chat.requests.at(-1) as never))).toBe("Answer briefly.\n\nbravo heard this");
    // Not asked to speak: no audio.
    expect(result.events.some((event) => event.event.startsWith("audio"))).toBe(false);
    expect(eventsOf(result, "done")).toHaveLength(1);
  });

  it("bad audio is a 400 before any stream, naming where the audio came from, and nothing is stored", async () => {
    const before = Number((await api("GET", "/api/chat/sessions")).body.total);
    const truncated = Buffer.from(speech.subarray(0, 4000));
    truncated.writeUInt32LE(200_000, 40);
    const bad = await postChatStream(station.url, { client_id: "ana", audio: { data: truncated.toString("base64") } });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { code: "truncated_audio", param: "audio" } });
    const empty = await postChatStream(station.url, { client_id: "ana" });
    expect(empty).toMatchObject({ status: 400, json: { error: { param: "message" } } });
    const unknownVoice = await api("PUT", "/api/clients/cid/tts", { provider: "speech/no-such-voice" });
    expect(unknownVoice.status).toBe(200);
    const noModel = await postChatStream(station.url, { client_id: "cid", message: "hi", speak: true });
    expect(noModel).toMatchObject({ status: 404, json: { error: { code: "model_not_found" } } });
    expect(Number((await api("GET", "/api/chat/sessions")).body.total)).toBe(before);
  });
});
