import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createScriptedChatProvider, lastMessage, textOf } from "../support/chat-scripted-provider.ts";
import { espeakPcm24k, espeakWav, espeakWavWithSilence } from "../support/espeak-speech.ts";
import { openRealtimeSocket } from "../support/open-realtime-socket.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { writeTinyMoonshine } from "../support/tiny-moonshine.ts";
import { writeTinyWhisper } from "../support/tiny-whisper.ts";

/**
 * The local-speech engine on random-weight Whispers written by a test helper: transformers.js
 * really computes the log-mel spectrogram, runs the encoder, the KV-cached decoder with Whisper's
 * timestamp logits processor, and the tokenizer's ASR decoding offline. The decoder is scripted:
 * language detection answers French, the transcript is two timestamped segments, and a prompt
 * holding <|translate|>, <|de|> or <|startofprev|> (a caller's prompt) is answered with another
 * segment, so each test sees which tokens Station put in Whisper's prompt.
 */
describe("local Whisper (transformers.js, in a worker thread)", () => {
  let station: TestStation;
  let client: OpenAI;
  const dataDir = mkdtempSync(path.join(tmpdir(), "station-whisper-"));
  const hello = () => toFile(espeakWav("Hello, station. This is the second part."), "hello.wav");
  const chat = createScriptedChatProvider("fake", (request) => ({ text: `You said: ${textOf(lastMessage(request))}` }));

  beforeAll(async () => {
    const models = path.join(dataDir, "models");
    mkdirSync(models, { recursive: true });
    writeTinyWhisper(path.join(models, "tiny-whisper"), {
      spokenLanguage: "fr",
      cues: [
        { token: "<|de|>", segment: { text: " Guten Tag.", start: 0.04, end: 0.8 } },
        { token: "<|translate|>", segment: { text: " Translated words.", start: 0.02, end: 0.9 } },
        { token: "<|startofprev|>", segment: { text: " Prompted Zyzzyva.", start: 0.06, end: 0.7 } },
      ],
    });
    writeTinyWhisper(path.join(models, "tiny-whisper-en"), {
      multilingual: false,
      segments: [{ text: " English only.", start: 0, end: 1 }],
    });
    writeTinyWhisper(path.join(models, "tiny-whisper-long"), {
      segments: [
        { text: " One.", start: 0, end: 1.2 },
        { text: " Two.", start: 6, end: 7 },
      ],
    });
    writeTinyWhisper(path.join(models, "tiny-whisper-endless"), {
      endless: true,
      segments: [{ text: " On and on.", start: 0, end: 1 }],
      cues: [{ token: "<|startofprev|>", segment: { text: " Prompted stop.", start: 0.02, end: 0.5 } }],
    });
    writeTinyMoonshine(path.join(models, "tiny-moonshine"), { text: "hello station" });
    station = await startTestStation({
      dataDir,
      config: {
        providers: [
          { id: "speech", type: "local-speech", threads: 1 },
          { id: "vision", type: "local-vision" },
        ],
        defaults: { chatModel: "fake/scripted", transcriptionModel: "speech/tiny-whisper" },
      },
      providers: [chat],
    });
    client = new OpenAI({ baseURL: `${station.url}/v1`, apiKey: "x", maxRetries: 0 });
  });
  afterAll(async () => {
    await station?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("is discovered with what it can do: a multilingual Whisper transcribes and translates, English-only ones transcribe", async () => {
    // The local vision engine shares the models directory and leaves speech models to local-speech.
    expect((await client.models.list()).data.map((model) => model.id).filter((id) => id.startsWith("vision/"))).toEqual([]);
    const response = await fetch(`${station.url}/api/models?capability=transcribe`);
    const listed = ((await response.json()) as { models: { id: string; capabilities: string[] }[] }).models;
    expect(Object.fromEntries(listed.map((model) => [model.id, model.capabilities]))).toEqual({
      "speech/tiny-whisper": ["transcribe", "translate"],
      "speech/tiny-whisper-en": ["transcribe"],
      "speech/tiny-whisper-long": ["transcribe", "translate"],
      "speech/tiny-whisper-endless": ["transcribe", "translate"],
      "speech/tiny-moonshine": ["transcribe"],
    });
    const translators = (await (await fetch(`${station.url}/api/models?capability=translate`)).json()) as { models: { id: string }[] };
    expect(translators.models.map((model) => model.id).sort()).toEqual([
      "speech/tiny-whisper",
      "speech/tiny-whisper-endless",
      "speech/tiny-whisper-long",
    ]);
  });

  it("transcribes with the official client: json, text, and verbose_json with the detected language and timestamped segments", async () => {
    const json = await client.audio.transcriptions.create({ file: await hello(), model: "speech/tiny-whisper" });
    expect(json.text).toBe("Hello station. Second part.");
    const text = await client.audio.transcriptions.create({ file: await hello(), model: "speech/tiny-whisper", response_format: "text" });
    expect(text).toBe("Hello station. Second part.\n");
    const verbose = await client.audio.transcriptions.create({
      file: await hello(),
      model: "speech/tiny-whisper",
      response_format: "verbose_json",
      timestamp_granularities: ["segment"],
    });
    expect(verbose).toMatchObject({
      task: "transcribe",
      language: "fr",
      text: "Hello station. Second part.",
      segments: [
        { id: 0, start: 0, end: 1.2, text: " Hello station." },
        { id: 1, start: 1.4, end: 2.4, text: " Second part." },
      ],
    });
  });

  it("stream: true sends the transcript as the decoder makes it, across the worker thread, then the whole text", async () => {
    for (const model of ["speech/tiny-whisper", "speech/tiny-moonshine"]) {
      const stream = await client.audio.transcriptions.create({ file: await hello(), model, stream: true });
      const events: OpenAI.Audio.TranscriptionStreamEvent[] = [];
      for await (const event of stream) events.push(event);
      const deltas = events.flatMap((event) => (event.type === "transcript.text.delta" ? [event.delta] : []));
      const done = events.at(-1);
      expect(done?.type).toBe("transcript.text.done");
      // Word by word (transformers.js' streamers hold a piece back until its word is complete), no timestamp tokens.
      expect(deltas.length, model).toBeGreaterThan(1);
      expect(deltas.join(""), model).toBe(done?.type === "transcript.text.done" ? done.text : "");
      expect(events.slice(0, -1).every((event) => event.type === "transcript.text.delta")).toBe(true);
    }
    const whisper = await client.audio.transcriptions.create({ file: await hello(), model: "speech/tiny-whisper", stream: true });
    const texts: string[] = [];
    for await (const event of whisper) texts.push(event.type === "transcript.text.delta" ? event.delta : `|${event.type}`);
    expect(texts).toEqual(["Hello ", "station. ", "Second ", "part.", "|transcript.text.done"]);
  });

  it("a client that leaves mid-stream aborts the decoder: a Whisper that never stops by itself is free again", async () => {
    const stream = await client.audio.transcriptions.create({ file: await hello(), model: "speech/tiny-whisper-endless", stream: true });
    const seen: string[] = [];
    for await (const event of stream) {
      if (event.type === "transcript.text.delta") seen.push(event.delta);
      if (seen.length === 3) break; // the official client aborts its request
    }
    expect(seen).toEqual(["On ", "and ", "on. "]);
    // One transcription at a time per model: this one runs only once the endless one has been stopped.
    const next = await client.audio.transcriptions.create({
      file: await hello(),
      model: "speech/tiny-whisper-endless",
      language: "en",
      prompt: "stop",
    });
    expect(next.text).toBe("Prompted stop.");
  });

  it("srt and vtt cue by Whisper's segments", async () => {
    const srt = await client.audio.transcriptions.create({ file: await hello(), model: "speech/tiny-whisper", response_format: "srt" });
    expect(srt).toBe("1\n00:00:00,000 --> 00:00:01,200\nHello station.\n\n2\n00:00:01,400 --> 00:00:02,400\nSecond part.\n");
    const vtt = await client.audio.transcriptions.create({ file: await hello(), model: "speech/tiny-whisper", response_format: "vtt" });
    expect(vtt).toBe("WEBVTT\n\n00:00:00.000 --> 00:00:01.200\nHello station.\n\n00:00:01.400 --> 00:00:02.400\nSecond part.\n");
  });

  it("a language is forced as Whisper's language token; a prompt goes in as previous context", async () => {
    const german = await client.audio.transcriptions.create({
      file: await hello(),
      model: "speech/tiny-whisper",
      language: "de",
      response_format: "verbose_json",
    });
    expect(german).toMatchObject({ language: "de", text: "Guten Tag.", segments: [{ start: 0.04, end: 0.8, text: " Guten Tag." }] });
    const prompted = await client.audio.transcriptions.create({
      file: await hello(),
      model: "speech/tiny-whisper",
      language: "en",
      prompt: "Zyzzyva is a weevil.",
    });
    expect(prompted.text).toBe("Prompted Zyzzyva.");
  });

  it("translates through POST /v1/audio/translations (task token <|translate|>)", async () => {
    const translation = await client.audio.translations.create({ file: await hello(), model: "speech/tiny-whisper" });
    expect(translation.text).toBe("Translated words.");
    const verbose = await client.audio.translations.create({
      file: await hello(),
      model: "speech/tiny-whisper",
      response_format: "verbose_json",
    });
    expect(verbose).toMatchObject({
      task: "translate",
      language: "english",
      segments: [{ start: 0.02, end: 0.9, text: " Translated words." }],
    });
  });

  it("reads audio longer than Whisper's 30 s window window by window, timestamps offset into the whole file", async () => {
    const long = espeakWavWithSilence("Hello, station.", 40);
    const verbose = await client.audio.transcriptions.create({
      file: await toFile(long, "long.wav"),
      model: "speech/tiny-whisper-long",
      language: "fr",
      response_format: "verbose_json",
    });
    // Windows at 0 s and 30 s; the model says the same in each.
    expect(verbose.segments?.map(({ start, end, text }) => ({ start, end, text }))).toEqual([
      { start: 0, end: 1.2, text: " One." },
      { start: 6, end: 7, text: " Two." },
      { start: 30, end: 31.2, text: " One." },
      { start: 36, end: 37, text: " Two." },
    ]);
    expect(verbose.text).toBe("One. Two. One. Two.");
    expect(verbose.duration).toBeGreaterThan(40);
  });

  it("an English-only Whisper transcribes with timestamps and refuses translation and other languages with clear 400s", async () => {
    const verbose = await client.audio.transcriptions.create({
      file: await hello(),
      model: "speech/tiny-whisper-en",
      response_format: "verbose_json",
    });
    expect(verbose).toMatchObject({ language: "en", text: "English only.", segments: [{ start: 0, end: 1, text: " English only." }] });
    await expect(client.audio.translations.create({ file: await hello(), model: "speech/tiny-whisper-en" })).rejects.toMatchObject({
      status: 400,
      code: "unsupported",
      message: expect.stringContaining("English-only Whisper"),
    });
    await expect(
      client.audio.transcriptions.create({ file: await hello(), model: "speech/tiny-whisper-en", language: "de" }),
    ).rejects.toMatchObject({ status: 400, param: "language" });
  });

  it("refuses what no local model here can do: Moonshine translating, word timestamps, an unknown language, a broken file", async () => {
    await expect(client.audio.translations.create({ file: await hello(), model: "speech/tiny-moonshine" })).rejects.toMatchObject({
      status: 400,
      code: "unsupported",
      message: expect.stringContaining("cannot translate"),
    });
    await expect(
      client.audio.transcriptions.create({
        file: await hello(),
        model: "speech/tiny-whisper",
        response_format: "verbose_json",
        timestamp_granularities: ["word"],
      }),
    ).rejects.toMatchObject({ status: 400, code: "unsupported", param: "timestamp_granularities" });
    await expect(
      client.audio.transcriptions.create({ file: await hello(), model: "speech/tiny-whisper", language: "xx" }),
    ).rejects.toMatchObject({ status: 400, param: "language" });
    await expect(
      client.audio.transcriptions.create({ file: await hello(), model: "speech/tiny-moonshine", language: "de" }),
    ).rejects.toMatchObject({ status: 400, param: "language" });
    await expect(
      client.audio.transcriptions.create({
        file: await toFile(Buffer.from("RIFF\x10\x00\x00\x00WAVEfmt "), "bad.wav"),
        model: "speech/tiny-whisper",
      }),
    ).rejects.toMatchObject({ status: 400 });
    expect((await fetch(`${station.url}/health`)).status).toBe(200);
  });

  it("transcribes a realtime voice turn: server VAD cuts the espeak-ng speech, Whisper hears it, the agent answers", async () => {
    const { socket, events } = await openRealtimeSocket(station.url, `model=fake/scripted`);
    try {
      socket.send(
        JSON.stringify({
          type: "session.update",
          session: { type: "realtime", output_modalities: ["text"], audio: { input: { transcription: { language: "de" } } } },
        }),
      );
      const pcm = Buffer.concat([Buffer.alloc(24_000), espeakPcm24k("Hallo, Station."), Buffer.alloc(48_000)]);
      for (let offset = 0; offset < pcm.length; offset += 960)
        socket.send(JSON.stringify({ type: "input_audio_buffer.append", audio: pcm.subarray(offset, offset + 960).toString("base64") }));
      const deadline = Date.now() + 60_000;
      while (!events.some((event) => event.type === "response.done") && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      // The session's transcription language reached Whisper as its language token (<|de|> is scripted).
      expect(events.find((event) => event.type === "conversation.item.input_audio_transcription.completed")?.transcript).toBe("Guten Tag.");
      expect(events.find((event) => event.type === "response.output_text.done")?.text).toBe("You said: Guten Tag.");
    } finally {
      socket.close();
    }
  });

  it("a translation without a model goes to a model that translates", async () => {
    const form = new FormData();
    form.append("file", new Blob([espeakWav("Bonjour.")]), "b.wav");
    const response = await fetch(`${station.url}/v1/audio/translations`, { method: "POST", body: form });
    expect(await response.json()).toEqual({ text: "Translated words." });
    const ps = (await (await fetch(`${station.url}/v1/system/ps`)).json()) as { models: { id: string }[] };
    expect(ps.models.map((model) => model.id)).toContain("speech/tiny-whisper");
  });
});
