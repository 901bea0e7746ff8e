import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { createScriptedChatProvider, lastMessage, textOf } from "../support/chat-scripted-provider.ts";
import { espeakPcm24k, espeakWav } from "../support/espeak-speech.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { writeTinyMoonshine } from "../support/tiny-moonshine.ts";

/**
 * The local-speech engine on a random-weight Moonshine written by a test helper: transformers.js
 * really loads its two ONNX graphs and runs the encoder and the KV-cached decoding loop offline
 * (the model is scripted to say "hello station", whatever it hears).
 */
describe("local speech-to-text (Moonshine on transformers.js, in-process)", () => {
  let station: TestStation;
  let client: OpenAI;
  const dataDir = mkdtempSync(path.join(tmpdir(), "station-speech-"));
  const chat = createScriptedChatProvider("fake", (request) => ({ text: `You said: ${textOf(lastMessage(request))}` }));

  beforeAll(async () => {
    mkdirSync(path.join(dataDir, "models"), { recursive: true });
    writeTinyMoonshine(path.join(dataDir, "models", "tiny-moonshine"), { text: "hello station" });
    station = await startTestStation({
      dataDir,
      config: { providers: [{ id: "speech", type: "local-speech" }], defaults: { chatModel: "fake/scripted" } },
      providers: [chat],
    });
    client = new OpenAI({ baseURL: `${station.url}/v1`, apiKey: "x", maxRetries: 0 });
  });
  afterAll(async () => {
    await station?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("is discovered in the models directory with the transcribe capability", async () => {
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toContain("speech/tiny-moonshine");
    const response = await fetch(`${station.url}/api/models?capability=transcribe`);
    expect(((await response.json()) as { models: { id: string; state: string }[] }).models).toMatchObject([
      { id: "speech/tiny-moonshine", state: "not-loaded" },
    ]);
  });

  it("transcribes espeak-ng speech through POST /v1/audio/transcriptions, then stays resident", async () => {
    const result = await client.audio.transcriptions.create({
      file: await toFile(espeakWav("Hello, station."), "hello.wav"),
      model: "speech/tiny-moonshine",
    });
    expect(result.text).toBe("hello station");
    const verbose = await client.audio.transcriptions.create({
      file: await toFile(espeakWav("Hello, station."), "hello.wav"),
      model: "tiny-moonshine",
      response_format: "verbose_json",
    });
    expect(verbose).toMatchObject({ text: "hello station", language: "en", segments: [{ start: 0, text: "hello station" }] });
    const ps = (await (await fetch(`${station.url}/v1/system/ps`)).json()) as { models: { id: string }[] };
    expect(ps.models.map((model) => model.id)).toContain("speech/tiny-moonshine");
  });

  it("refuses translation (English-only model) with a clear 400", async () => {
    await expect(
      client.audio.translations.create({ file: await toFile(espeakWav("Bonjour"), "b.wav"), model: "speech/tiny-moonshine" }),
    ).rejects.toMatchObject({
      status: 400,
      code: "unsupported",
    });
  });

  it("hears a realtime turn: server VAD cuts the speech, the local model transcribes it, the agent answers", async () => {
    const socket = new WebSocket(`${station.url.replace(/^http/, "ws")}/v1/realtime?model=fake/scripted`, ["realtime"]);
    const events: { type: string; [key: string]: unknown }[] = [];
    socket.on("message", (data) => events.push(JSON.parse(String(data))));
    await new Promise((resolve, reject) => {
      socket.once("open", resolve);
      socket.once("error", reject);
    });
    try {
      socket.send(JSON.stringify({ type: "session.update", session: { type: "realtime", output_modalities: ["text"] } }));
      const pcm = Buffer.concat([Buffer.alloc(24_000), espeakPcm24k("Hello there, station."), Buffer.alloc(48_000)]);
      for (let offset = 0; offset < pcm.length; offset += 960) {
        socket.send(JSON.stringify({ type: "input_audio_buffer.append", audio: pcm.subarray(offset, offset + 960).toString("base64") }));
      }
      const deadline = Date.now() + 30_000;
      while (!events.some((event) => event.type === "response.done") && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      expect(events.find((event) => event.type === "conversation.item.input_audio_transcription.completed")?.transcript).toBe(
        "hello station",
      );
      expect(events.find((event) => event.type === "response.output_text.done")?.text).toBe("You said: hello station");
    } finally {
      socket.close();
    }
  });
});
