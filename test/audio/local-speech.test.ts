import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { floatToG711, g711ToPcm16 } from "../../src/audio/g711.ts";
import { pcm16ToFloat } from "../../src/audio/pcm16.ts";
import { resample } from "../../src/audio/resample.ts";
import { createScriptedChatProvider, lastMessage, textOf } from "../support/chat-scripted-provider.ts";
import { espeakPcm24k, espeakWav } from "../support/espeak-speech.ts";
import { openRealtimeSocket } from "../support/open-realtime-socket.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { writeTinyMoonshine } from "../support/tiny-moonshine.ts";
import { writeTinyVits } from "../support/tiny-vits.ts";

/**
 * The local-speech engine on a random-weight Moonshine written by a test helper: transformers.js
 * really loads its two ONNX graphs and runs the encoder and the KV-cached decoding loop offline
 * (the model is scripted to say "hello station", whatever it hears).
 */
describe("local speech (Moonshine and VITS on transformers.js, in-process)", () => {
  let station: TestStation;
  let client: OpenAI;
  const dataDir = mkdtempSync(path.join(tmpdir(), "station-speech-"));
  const chat = createScriptedChatProvider("fake", (request) => ({ text: `You said: ${textOf(lastMessage(request))}` }));

  beforeAll(async () => {
    mkdirSync(path.join(dataDir, "models"), { recursive: true });
    writeTinyMoonshine(path.join(dataDir, "models", "tiny-moonshine"), { text: "hello station" });
    writeTinyVits(path.join(dataDir, "models", "tiny-vits"), { samplingRate: 16_000, samplesPerToken: 400 });
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

  it("speaks through POST /v1/audio/speech with a local VITS: wav at its rate, pcm at 24 kHz, mp3 through ffmpeg", async () => {
    const wav = Buffer.from(
      await (
        await client.audio.speech.create({ model: "speech/tiny-vits", input: "Hi there. Bye.", voice: "alloy", response_format: "wav" })
      ).arrayBuffer(),
    );
    expect(wav.subarray(0, 4).toString("latin1")).toBe("RIFF");
    expect(wav.readUInt32LE(24)).toBe(16_000);
    // "Hi there." and "Bye." are synthesised one after the other: 9 + 4 byte tokens plus <s> and </s> each, 400 samples a token.
    expect(wav.length - 44).toBe((9 + 2 + 4 + 2) * 400 * 2);
    const pcm = Buffer.from(
      await (
        await client.audio.speech.create({ model: "speech/tiny-vits", input: "Hi there.", voice: "alloy", response_format: "pcm" })
      ).arrayBuffer(),
    );
    expect(pcm.length).toBe((9 + 2) * 400 * 2 * 1.5);
    const mp3 = Buffer.from(
      await (
        await client.audio.speech.create({ model: "speech/tiny-vits", input: "Hi there.", voice: "alloy", response_format: "mp3" })
      ).arrayBuffer(),
    );
    expect(mp3.length).toBeGreaterThan(100);
    await expect(client.audio.speech.create({ model: "speech/tiny-moonshine", input: "x", voice: "alloy" })).rejects.toMatchObject({
      status: 400,
    });
  });

  it("refuses translation (English-only model) with a clear 400", async () => {
    await expect(
      client.audio.translations.create({ file: await toFile(espeakWav("Bonjour"), "b.wav"), model: "speech/tiny-moonshine" }),
    ).rejects.toMatchObject({
      status: 400,
      code: "unsupported",
    });
  });

  it("a realtime voice turn on local models only: server VAD, Moonshine transcribes, the agent answers, VITS speaks", async () => {
    const { socket, events } = await openRealtimeSocket(station.url, `model=fake/scripted`);
    try {
      socket.send(JSON.stringify({ type: "session.update", session: { type: "realtime", output_modalities: ["audio"] } }));
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
      expect(events.find((event) => event.type === "response.output_audio_transcript.done")?.transcript).toBe("You said: hello station");
      // Spoken by the local VITS: 23 byte tokens plus <s> and </s>, 400 samples each at 16 kHz, resampled to 24 kHz PCM16.
      const audio = events
        .filter((event) => event.type === "response.output_audio.delta")
        .map((event) => Buffer.from(String(event.delta), "base64"));
      expect(Buffer.concat(audio).length).toBe((23 + 2) * 400 * 2 * 1.5);
    } finally {
      socket.close();
    }
  });

  it("telephony audio in realtime: G.711 μ-law in at 8 kHz, A-law out at 8 kHz, one byte per sample", async () => {
    const { socket, events } = await openRealtimeSocket(station.url, `model=fake/scripted`);
    const waitFor = async (type: string) => {
      const deadline = Date.now() + 30_000;
      while (!events.some((event) => event.type === type) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      return events.find((event) => event.type === type);
    };
    try {
      socket.send(
        JSON.stringify({
          type: "session.update",
          event_id: "bad_rate",
          session: { type: "realtime", audio: { input: { format: { type: "audio/pcmu", rate: 16_000 } } } },
        }),
      );
      expect(await waitFor("error")).toMatchObject({ error: { code: "unsupported", event_id: "bad_rate" } });
      socket.send(
        JSON.stringify({
          type: "session.update",
          session: {
            type: "realtime",
            output_modalities: ["audio"],
            audio: { input: { format: { type: "audio/pcmu" } }, output: { format: { type: "audio/pcma" } } },
          },
        }),
      );
      const updated = await waitFor("session.updated");
      expect((updated?.session as { audio: unknown } | undefined)?.audio).toMatchObject({
        input: { format: { type: "audio/pcmu" } },
        output: { format: { type: "audio/pcma" } },
      });
      // A phone line: espeak-ng speech at 8 kHz in μ-law, 20 ms (160 bytes) per append.
      const speech = pcm16ToFloat(espeakPcm24k("Hello there, station."));
      const line = floatToG711(resample(speech, 24_000, 8000), "mu");
      const silence = (seconds: number) => new Uint8Array(seconds * 8000).fill(0xff);
      const ulaw = Buffer.concat([silence(1), line, silence(2)]);
      for (let offset = 0; offset < ulaw.length; offset += 160) {
        socket.send(JSON.stringify({ type: "input_audio_buffer.append", audio: ulaw.subarray(offset, offset + 160).toString("base64") }));
      }
      expect(await waitFor("response.done")).toMatchObject({ response: { status: "completed" } });
      expect(events.find((event) => event.type === "input_audio_buffer.speech_stopped")).toBeDefined();
      expect(events.find((event) => event.type === "conversation.item.input_audio_transcription.completed")?.transcript).toBe(
        "hello station",
      );
      // VITS made (23 + 2) * 400 samples at 16 kHz: half as many at 8 kHz, one A-law byte each.
      const alaw = Buffer.concat(
        events.filter((event) => event.type === "response.output_audio.delta").map((event) => Buffer.from(String(event.delta), "base64")),
      );
      expect(alaw.length).toBe(((23 + 2) * 400) / 2);
      const decoded = g711ToPcm16(alaw, "a");
      expect(decoded.some((sample) => Math.abs(sample) > 1000)).toBe(true);
    } finally {
      socket.close();
    }
  });
});
