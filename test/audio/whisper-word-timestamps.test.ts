import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { espeakWav, espeakWavWithSilence } from "../support/espeak-speech.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";
import { type TinyWhisperSegment, writeTinyWhisper } from "../support/tiny-whisper.ts";

type Word = { word: string; start: number; end: number };

/** Each word inside the audio, its end not before its start, and starting no earlier than the word before it. */
function expectOrderedWithin(words: readonly Word[], duration: number): void {
  words.forEach((word, index) => {
    expect(word.start, word.word).toBeGreaterThanOrEqual(index === 0 ? 0 : (words[index - 1]?.start ?? 0));
    expect(word.end, word.word).toBeGreaterThanOrEqual(word.start);
    expect(word.end, word.word).toBeLessThanOrEqual(duration);
  });
}

/**
 * Each word (offset by `offset` seconds) lies in the segment that says it, give or take a few DTW
 * steps; a segment's first word may start in the silence before it (no token attends there).
 */
function expectInside(words: readonly Word[], said: readonly TinyWhisperSegment[], offset = 0): void {
  const spans = said.flatMap((segment, index) =>
    segment.text
      .trim()
      .split(" ")
      .map((word) => ({ word, from: index === 0 ? 0 : (said[index - 1]?.end ?? 0), to: segment.end })),
  );
  expect(words.map((word) => word.word)).toEqual(spans.map((span) => span.word));
  words.forEach((word, index) => {
    const span = spans[index];
    expect(word.start, word.word).toBeGreaterThanOrEqual(offset + (span?.from ?? 0) - 0.06);
    expect(word.end, word.word).toBeLessThanOrEqual(offset + (span?.to ?? 0) + 0.06);
  });
}

/**
 * Word timestamps on a Whisper exported for them (onnx-community/whisper-*_timestamped): a tiny
 * random-weight Whisper whose decoder also outputs its cross-attentions (`cross_attentions.0`,
 * scripted so each word attends to its share of its segment) and whose generation config names
 * alignment heads. transformers.js aligns the tokens by DTW and collates the words; Station offsets
 * them window by window. The plain tiny Whisper (no such outputs) keeps its 400.
 */
describe("word timestamps on a local Whisper with cross-attention outputs", () => {
  let station: TestStation;
  let client: OpenAI;
  const dataDir = mkdtempSync(path.join(tmpdir(), "station-whisper-words-"));
  const said: TinyWhisperSegment[] = [
    { text: " Hello station.", start: 0, end: 1.2 },
    { text: " Second part.", start: 1.4, end: 2.4 },
  ];
  const translated: TinyWhisperSegment = { text: " Translated words.", start: 0.02, end: 0.9 };
  const hello = () => toFile(espeakWav("Hello, station. This is the second part."), "hello.wav");

  beforeAll(async () => {
    const models = path.join(dataDir, "models");
    mkdirSync(models, { recursive: true });
    writeTinyWhisper(path.join(models, "tiny-whisper_timestamped"), {
      wordTimestamps: true,
      layers: 2,
      segments: said,
      cues: [{ token: "<|translate|>", segment: translated }],
    });
    writeTinyWhisper(path.join(models, "tiny-whisper"), { segments: said });
    station = await startTestStation({
      dataDir,
      config: { providers: [{ id: "speech", type: "local-speech", threads: 1 }] },
    });
    client = new OpenAI({ baseURL: `${station.url}/v1`, apiKey: "x", maxRetries: 0 });
  });
  afterAll(async () => {
    await station?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("lists which Whisper can give word timestamps (metadata.wordTimestamps, read from its decoder graph)", async () => {
    const response = await fetch(`${station.url}/api/models?capability=transcribe`);
    const listed = ((await response.json()) as { models: { id: string; metadata: { wordTimestamps?: boolean } }[] }).models;
    expect(Object.fromEntries(listed.map((model) => [model.id, model.metadata.wordTimestamps]))).toEqual({
      "speech/tiny-whisper_timestamped": true,
      "speech/tiny-whisper": false,
    });
  });

  it("verbose_json with timestamp_granularities ['word'] gives OpenAI's words, in order, inside the audio and their segments", async () => {
    const verbose = await client.audio.transcriptions.create({
      file: await hello(),
      model: "speech/tiny-whisper_timestamped",
      language: "en",
      response_format: "verbose_json",
      timestamp_granularities: ["word"],
    });
    expect(verbose.text).toBe("Hello station. Second part.");
    expect(verbose.segments).toBeUndefined();
    const words = verbose.words ?? [];
    expect(words.length).toBe(4);
    expect(words.every((word) => Object.keys(word).sort().join() === "end,start,word")).toBe(true);
    expectOrderedWithin(words, verbose.duration);
    expectInside(words, said);
  });

  it("word and segment granularities together give both", async () => {
    const verbose = await client.audio.transcriptions.create({
      file: await hello(),
      model: "speech/tiny-whisper_timestamped",
      response_format: "verbose_json",
      timestamp_granularities: ["word", "segment"],
    });
    expect(verbose.segments?.map(({ start, end, text }) => ({ start, end, text }))).toEqual(said);
    expectInside(verbose.words ?? [], said);
    // Without word timestamps asked for, none are made.
    const segmentsOnly = await client.audio.transcriptions.create({
      file: await hello(),
      model: "speech/tiny-whisper_timestamped",
      response_format: "verbose_json",
      timestamp_granularities: ["segment"],
    });
    expect(segmentsOnly.words).toBeUndefined();
    expect(segmentsOnly.segments?.length).toBe(2);
  });

  it("audio over 30 s: each window's words are offset by the window's start and stay inside the file", async () => {
    const long = espeakWavWithSilence("Hello, station.", 40);
    const verbose = await client.audio.transcriptions.create({
      file: await toFile(long, "long.wav"),
      model: "speech/tiny-whisper_timestamped",
      language: "en",
      response_format: "verbose_json",
      timestamp_granularities: ["word"],
    });
    // Windows at 0 s and 30 s; the model says the same in each.
    const words = verbose.words ?? [];
    expect(words.length).toBe(8);
    expectOrderedWithin(words, verbose.duration);
    expectInside(words.slice(0, 4), said);
    expectInside(words.slice(4), said, 30);
  });

  it("a translation gives the English words with their times (POST /v1/audio/translations)", async () => {
    const form = new FormData();
    form.append("file", new Blob([espeakWav("Bonjour, station.")]), "b.wav");
    form.append("model", "speech/tiny-whisper_timestamped");
    form.append("response_format", "verbose_json");
    form.append("timestamp_granularities[]", "word");
    const response = await fetch(`${station.url}/v1/audio/translations`, { method: "POST", body: form });
    expect(response.status).toBe(200);
    const verbose = (await response.json()) as { task: string; text: string; duration: number; words: Word[] };
    expect(verbose).toMatchObject({ task: "translate", text: "Translated words." });
    expectOrderedWithin(verbose.words, verbose.duration);
    expectInside(verbose.words, [translated]);
  });

  it("a streamed transcript of the same model is still text only", async () => {
    const stream = await client.audio.transcriptions.create({
      file: await hello(),
      model: "speech/tiny-whisper_timestamped",
      stream: true,
    });
    const deltas: string[] = [];
    for await (const event of stream) if (event.type === "transcript.text.delta") deltas.push(event.delta);
    expect(deltas.join("")).toBe("Hello station. Second part.");
  });

  it("a Whisper without cross-attention outputs still refuses word timestamps with a 400 before loading", async () => {
    await expect(
      client.audio.transcriptions.create({
        file: await hello(),
        model: "speech/tiny-whisper",
        response_format: "verbose_json",
        timestamp_granularities: ["word"],
      }),
    ).rejects.toMatchObject({
      status: 400,
      code: "unsupported",
      param: "timestamp_granularities",
      message: expect.stringContaining("gives segment timestamps only, not word timestamps"),
    });
    const ps = (await (await fetch(`${station.url}/v1/system/ps`)).json()) as { models: { id: string }[] };
    expect(ps.models.map((model) => model.id)).not.toContain("speech/tiny-whisper");
  });
});
