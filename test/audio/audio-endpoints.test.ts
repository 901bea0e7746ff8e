import { execFileSync } from "node:child_process";
import OpenAI, { toFile } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Provider, SpeechModel, TranscriptionModel } from "../../src/providers/spec/index.ts";
import { espeakWav, ffmpegEncode } from "../support/espeak-speech.ts";
import { type FakeOpenAiAudioUpstream, startFakeOpenAiAudioUpstream } from "../support/fake-openai-audio-upstream.ts";
import { startTestStation, type TestStation } from "../support/start-test-station.ts";

/** A local-engine-like provider whose speech is raw 16 kHz PCM, so Station's own encoders run. */
function pcmSpeechProvider(): Provider {
  const speech: SpeechModel = {
    id: "pcmvoice/tone",
    async speak(request) {
      const samples = Buffer.alloc(16_000 * 2);
      for (let index = 0; index < 16_000; index++) samples.writeInt16LE(Math.round(Math.sin(index / 5) * 9000), index * 2);
      return {
        format: "pcm",
        sampleRate: 16_000,
        chunks: (async function* () {
          if (request.input === "fail midway") throw new Error("engine crashed");
          yield samples.subarray(0, 16_000);
          yield samples.subarray(16_000);
        })(),
      };
    },
  };
  return {
    id: "pcmvoice",
    type: "test",
    listModels: async () => [{ id: "pcmvoice/tone", providerId: "pcmvoice", name: "tone", capabilities: ["speak"], state: "available" }],
    health: async () => ({ status: "ok" }),
    speechModel: () => speech,
  };
}

/** A provider whose transcription model has no transcribeStream (it cannot stream). */
function batchOnlyTranscriptionProvider(): Provider {
  const model: TranscriptionModel = { id: "batchonly/whisper", transcribe: async () => ({ text: "batch only" }) };
  return {
    id: "batchonly",
    type: "test",
    listModels: async () => [
      { id: "batchonly/whisper", providerId: "batchonly", name: "whisper", capabilities: ["transcribe"], state: "available" },
    ],
    health: async () => ({ status: "ok" }),
    transcriptionModel: () => model,
  };
}

describe("OpenAI audio endpoints through an OpenAI-compatible upstream", () => {
  let upstream: FakeOpenAiAudioUpstream;
  let station: TestStation;
  let client: OpenAI;
  const speech = espeakWav("Hello world, this is Station speaking.");

  beforeAll(async () => {
    upstream = await startFakeOpenAiAudioUpstream();
    station = await startTestStation({
      config: {
        providers: [{ id: "voice", type: "openai", baseUrl: upstream.url, apiKey: "sk-upstream", retry: { attempts: 2, baseDelayMs: 0 } }],
        audio: { maxBytes: 2 * 1024 * 1024, maxDurationSeconds: 20 },
      },
      providers: [pcmSpeechProvider(), batchOnlyTranscriptionProvider()],
    });
    client = new OpenAI({ baseURL: `${station.url}/v1`, apiKey: "unused", maxRetries: 0 });
  });
  afterAll(async () => {
    await station?.close();
    await upstream?.close();
  });

  it("lists speech models with the transcribe and speak capabilities", async () => {
    const response = await fetch(`${station.url}/api/models?capability=transcribe`);
    const transcribers = ((await response.json()) as { models: { id: string }[] }).models.map((model) => model.id);
    expect(transcribers.sort()).toEqual(["batchonly/whisper", "voice/whisper-test"]);
    const all = await fetch(`${station.url}/api/models`);
    const list = ((await all.json()) as { models: { id: string; capabilities: string[] }[] }).models;
    expect(list.find((model) => model.id === "voice/whisper-test")?.capabilities).toEqual(["transcribe"]);
    expect(list.find((model) => model.id === "voice/tts-test")?.capabilities).toEqual(["speak"]);
  });

  it("audio.transcriptions.create: the WAV reaches the upstream as multipart, byte for byte, with the fields", async () => {
    const before = upstream.requests.length;
    const result = await client.audio.transcriptions.create({
      file: await toFile(speech, "hello.wav", { type: "audio/wav" }),
      model: "voice/whisper-test",
      language: "en",
      prompt: "Station",
      temperature: 0.2,
    });
    expect(result.text).toBe("Hello from the fake audio upstream.");
    const recorded = upstream.requests.slice(before).find((request) => request.path === "/v1/audio/transcriptions");
    expect(recorded?.file?.bytes.equals(speech)).toBe(true);
    expect(recorded?.file?.name).toBe("hello.wav");
    expect(recorded?.fields).toMatchObject({
      model: "whisper-test",
      language: "en",
      prompt: "Station",
      temperature: "0.2",
      response_format: "json",
    });
    expect(recorded?.headers.authorization).toBe("Bearer sk-upstream");
  });

  it("verbose_json with word and segment timestamps; srt, vtt and text formats", async () => {
    const verbose = await client.audio.transcriptions.create({
      file: await toFile(speech, "hello.wav"),
      model: "voice/whisper-test",
      response_format: "verbose_json",
      timestamp_granularities: ["word", "segment"],
    });
    expect(verbose.text).toBe("Hello from the fake audio upstream.");
    expect(verbose.words?.[0]).toEqual({ word: "Hello", start: 0, end: 0.25 });
    expect(verbose.segments?.[0]).toMatchObject({ id: 0, start: 0, end: 1.5 });
    expect(verbose.duration).toBe(1.5);
    const recorded = upstream.requests.at(-1);
    expect(recorded?.fields["timestamp_granularities[]"]).toEqual(["word", "segment"]);
    expect(recorded?.fields.response_format).toBe("verbose_json");

    const srt = await client.audio.transcriptions.create({
      file: await toFile(speech, "a.wav"),
      model: "voice/whisper-test",
      response_format: "srt",
    });
    expect(srt).toBe("1\n00:00:00,000 --> 00:00:01,500\nHello from the fake audio upstream.\n");
    const vtt = await client.audio.transcriptions.create({
      file: await toFile(speech, "a.wav"),
      model: "voice/whisper-test",
      response_format: "vtt",
    });
    expect(vtt).toBe("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello from the fake audio upstream.\n");
    const text = await client.audio.transcriptions.create({
      file: await toFile(speech, "a.wav"),
      model: "voice/whisper-test",
      response_format: "text",
    });
    expect(text).toBe("Hello from the fake audio upstream.\n");
  });

  it("audio.translations.create goes to the upstream's /audio/translations", async () => {
    const result = await client.audio.translations.create({ file: await toFile(speech, "hola.wav"), model: "voice/whisper-test" });
    expect(result.text).toBe("Hello from the fake audio upstream.");
    expect(upstream.requests.at(-1)?.path).toBe("/v1/audio/translations");
  });

  it("an MP3 is decoded by ffmpeg to check it, and forwarded unchanged", async () => {
    const mp3 = ffmpegEncode(speech, "mp3");
    const result = await client.audio.transcriptions.create({ file: await toFile(mp3, "hello.mp3"), model: "voice/whisper-test" });
    expect(result.text).toContain("fake audio upstream");
    const recorded = upstream.requests.at(-1);
    expect(recorded?.file?.bytes.equals(mp3)).toBe(true);
    expect(recorded?.file?.type).toBe("audio/mpeg");
  });

  it("stream: true relays the upstream's transcript events through the resilience layer, delta by delta", async () => {
    const before = upstream.requests.length;
    upstream.fail({ status: 503 });
    const stream = await client.audio.transcriptions.create({
      file: await toFile(speech, "a.wav"),
      model: "voice/whisper-test",
      stream: true,
    });
    const events: OpenAI.Audio.TranscriptionStreamEvent[] = [];
    for await (const event of stream) events.push(event);
    const deltas = events.filter((event) => event.type === "transcript.text.delta");
    expect(deltas.map((event) => event.delta)).toEqual(["Hello ", "from ", "the ", "fake ", "audio ", "upstream."]);
    expect(deltas[0]?.logprobs).toEqual([{ token: "Hello ", logprob: -0.1, bytes: [] }]);
    expect(events.at(-1)).toEqual({
      type: "transcript.text.done",
      text: "Hello from the fake audio upstream.",
      usage: { type: "tokens", input_tokens: 12, output_tokens: 6, total_tokens: 18 },
    });
    // The 503 was retried (the fake records a failed POST without its fields); the retry carried stream=true.
    const posts = upstream.requests.slice(before).filter((request) => request.path === "/v1/audio/transcriptions");
    expect(posts.map((request) => request.fields.stream)).toEqual([undefined, "true"]);
  });

  it("an upstream that ignores stream and answers JSON is relayed as one delta and the done event", async () => {
    upstream.streams = false;
    try {
      const stream = await client.audio.transcriptions.create({
        file: await toFile(speech, "a.wav"),
        model: "voice/whisper-test",
        stream: true,
      });
      const events: OpenAI.Audio.TranscriptionStreamEvent[] = [];
      for await (const event of stream) events.push(event);
      expect(events).toEqual([
        { type: "transcript.text.delta", delta: "Hello from the fake audio upstream." },
        { type: "transcript.text.done", text: "Hello from the fake audio upstream." },
      ]);
    } finally {
      upstream.streams = true;
    }
  });

  it("an upstream stream that breaks midway ends with OpenAI's error event, which the official client raises", async () => {
    upstream.breakStreamAfter = 2;
    const stream = await client.audio.transcriptions.create({
      file: await toFile(speech, "a.wav"),
      model: "voice/whisper-test",
      stream: true,
    });
    const deltas: string[] = [];
    const failure = await (async () => {
      try {
        for await (const event of stream) if (event.type === "transcript.text.delta") deltas.push(event.delta);
      } catch (error) {
        return error;
      }
    })();
    // Nothing is replayed once a delta went out: the client has what came before the break, then the error.
    expect(deltas).toEqual(["Hello ", "from "]);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(String((failure as Error).message)).toContain("fake stream broke");
  });

  it("a model that cannot stream its transcript answers stream: true with a 400 in OpenAI's error shape", async () => {
    const form = new FormData();
    form.append("file", new Blob([speech], { type: "audio/wav" }), "a.wav");
    form.append("model", "batchonly/whisper");
    form.append("stream", "true");
    const response = await fetch(`${station.url}/v1/audio/transcriptions`, { method: "POST", body: form });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      error: { type: "invalid_request_error", param: "stream", message: expect.stringContaining("cannot stream") },
    });
    // Without stream the same model answers.
    const whole = await client.audio.transcriptions.create({ file: await toFile(speech, "a.wav"), model: "batchonly/whisper" });
    expect(whole.text).toBe("batch only");
  });

  it("an upstream 503 is retried by the resilience layer", async () => {
    upstream.fail({ status: 503 });
    const result = await client.audio.transcriptions.create({ file: await toFile(speech, "a.wav"), model: "voice/whisper-test" });
    expect(result.text).toContain("fake audio upstream");
  });

  describe("bad audio is a clear 400 and the server lives on", () => {
    const transcribe = (data: Buffer, name = "bad.wav") => {
      const form = new FormData();
      form.append("file", new Blob([data]), name);
      form.append("model", "voice/whisper-test");
      return fetch(`${station.url}/v1/audio/transcriptions`, { method: "POST", body: form }).then(async (response) => ({
        status: response.status,
        error: ((await response.json()) as { error: { code: string; message: string; param: string | null; type: string } }).error,
      }));
    };

    it("0 bytes", async () => {
      const reply = await transcribe(Buffer.alloc(0));
      expect(reply.status).toBe(400);
      expect(reply.error).toMatchObject({ code: "empty_audio", param: "file", type: "invalid_request_error" });
    });

    it("a truncated WAV (the header promises more than the file holds)", async () => {
      const file = Buffer.from(espeakWav("truncate me")).subarray(0, 4000);
      // espeak's --stdout header says "unknown length"; write a real one promising 200000 bytes.
      file.writeUInt32LE(200_000, 40);
      const reply = await transcribe(file);
      expect(reply.status).toBe(400);
      expect(reply.error.code).toBe("truncated_audio");
      expect(reply.error.message).toContain("200000");
    });

    it("an impossible sample rate", async () => {
      const file = Buffer.from(speech);
      file.writeUInt32LE(1, 24);
      const reply = await transcribe(file);
      expect(reply.status).toBe(400);
      expect(reply.error).toMatchObject({ code: "invalid_sample_rate", param: "file" });
    });

    it("not audio at all, and a corrupt MP3", async () => {
      const junk = await transcribe(Buffer.from("this is a text file, not audio"), "notes.wav");
      expect(junk.status).toBe(400);
      expect(junk.error.code).toBe("unsupported_media_type");
      const corrupt = await transcribe(Buffer.concat([Buffer.from("ID3"), Buffer.alloc(600, 7)]), "x.mp3");
      expect(corrupt.status).toBe(400);
      expect(corrupt.error.code).toBe("invalid_audio");
    });

    it("a file over audio.maxBytes is 413, audio over maxDurationSeconds is 400", async () => {
      const huge = await transcribe(Buffer.concat([speech.subarray(0, 44), Buffer.alloc(3 * 1024 * 1024)]));
      expect(huge.status).toBe(413);
      expect(huge.error.code).toBe("payload_too_large");
      // 30 s of 8 kHz silence: small, but longer than the 20 s limit.
      const long = execFileSync("sox", ["-n", "-r", "8000", "-c", "1", "-b", "16", "-t", "wav", "-", "trim", "0", "30"]);
      const reply = await transcribe(long);
      expect(reply.status).toBe(400);
      expect(reply.error.code).toBe("audio_too_long");
      expect(upstream.requests.some((request) => request.file?.bytes.equals(long))).toBe(false);
    });

    it("no file, an unknown model, a bad response_format", async () => {
      const form = new FormData();
      form.append("model", "voice/whisper-test");
      const noFile = await fetch(`${station.url}/v1/audio/transcriptions`, { method: "POST", body: form });
      expect(noFile.status).toBe(400);
      await expect(
        client.audio.transcriptions.create({ file: await toFile(speech, "a.wav"), model: "nope/whisper" }),
      ).rejects.toMatchObject({ status: 404, code: "model_not_found" });
      await expect(
        client.audio.transcriptions.create({
          file: await toFile(speech, "a.wav"),
          model: "voice/whisper-test",
          response_format: "xml" as "json",
        }),
      ).rejects.toMatchObject({ status: 400, param: "response_format" });
      const health = await fetch(`${station.url}/health`);
      expect(health.status).toBe(200);
    });
  });

  it("audio.speech.create streams the upstream's bytes through for each format", async () => {
    for (const format of ["mp3", "opus", "flac", "aac"] as const) {
      const response = await client.audio.speech.create({
        model: "voice/tts-test",
        input: "Hello there",
        voice: "nova",
        response_format: format,
        speed: 1.25,
      });
      expect(response.headers.get("content-type")).toBe(
        { mp3: "audio/mpeg", opus: "audio/opus", flac: "audio/flac", aac: "audio/aac" }[format],
      );
      expect(Buffer.from(await response.arrayBuffer()).equals(upstream.encodedSpeech(format))).toBe(true);
      expect(upstream.requests.at(-1)?.json).toEqual({
        model: "tts-test",
        input: "Hello there",
        voice: "nova",
        response_format: format,
        speed: 1.25,
      });
    }
    const pcm = await client.audio.speech.create({ model: "voice/tts-test", input: "Hi", voice: "alloy", response_format: "pcm" });
    expect(Buffer.from(await pcm.arrayBuffer()).equals(upstream.speechPcm)).toBe(true);
  });

  it("speech from a model that answers raw PCM is encoded by Station: wav, pcm at 24 kHz, and mp3/opus/flac through ffmpeg", async () => {
    const wav = Buffer.from(
      await (await client.audio.speech.create({ model: "pcmvoice/tone", input: "x", voice: "any", response_format: "wav" })).arrayBuffer(),
    );
    expect(wav.subarray(0, 4).toString("latin1")).toBe("RIFF");
    expect(wav.readUInt32LE(24)).toBe(16_000);
    expect(wav.length).toBe(44 + 32_000);
    const pcm = Buffer.from(
      await (await client.audio.speech.create({ model: "pcmvoice/tone", input: "x", voice: "any", response_format: "pcm" })).arrayBuffer(),
    );
    expect(pcm.length).toBe(48_000);
    for (const format of ["mp3", "opus", "flac"] as const) {
      const encoded = Buffer.from(
        await (
          await client.audio.speech.create({ model: "pcmvoice/tone", input: "x", voice: "any", response_format: format })
        ).arrayBuffer(),
      );
      // ffprobe names the codec Station wrote; decoding it back gives about one second of audio.
      const probe = execFileSync("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name", "-of", "json", "-i", "pipe:0"], {
        input: encoded,
      });
      const parsed = JSON.parse(probe.toString()) as { streams: { codec_name: string }[] };
      expect(parsed.streams[0]?.codec_name).toBe({ mp3: "mp3", opus: "opus", flac: "flac" }[format]);
      const decoded = execFileSync("ffmpeg", ["-v", "error", "-i", "pipe:0", "-f", "s16le", "-ac", "1", "-ar", "16000", "pipe:1"], {
        input: encoded,
      });
      expect(decoded.length / 32_000).toBeGreaterThan(0.9);
      expect(decoded.length / 32_000).toBeLessThan(1.2);
    }
  });

  it("stream_format sse: speech.audio.delta events with base64 audio, then speech.audio.done", async () => {
    const response = await fetch(`${station.url}/v1/audio/speech`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "voice/tts-test", input: "Hi", voice: "alloy", response_format: "pcm", stream_format: "sse" }),
    });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const events = (await response.text())
      .split("\n\n")
      .filter((block) => block.startsWith("data: "))
      .map((block) => JSON.parse(block.slice(6)) as { type: string; audio?: string });
    expect(events.at(-1)?.type).toBe("speech.audio.done");
    const audio = Buffer.concat(
      events.filter((event) => event.type === "speech.audio.delta").map((event) => Buffer.from(event.audio ?? "", "base64")),
    );
    expect(audio.equals(upstream.speechPcm)).toBe(true);
  });

  it("speech errors: empty input 400, too long input 400, an upstream 400 passes through before any byte", async () => {
    await expect(client.audio.speech.create({ model: "voice/tts-test", input: "", voice: "alloy" })).rejects.toMatchObject({
      status: 400,
      param: "input",
    });
    await expect(client.audio.speech.create({ model: "voice/tts-test", input: "x".repeat(5000), voice: "alloy" })).rejects.toMatchObject({
      status: 400,
      param: "input",
    });
    upstream.fail({ status: 400, message: "voice 'zzz' is not available" });
    await expect(client.audio.speech.create({ model: "voice/tts-test", input: "hi", voice: "zzz" })).rejects.toMatchObject({ status: 400 });
    await expect(
      client.audio.speech.create({ model: "voice/whisper-nope", input: "hi", voice: "alloy", response_format: "mp3" }),
    ).rejects.toMatchObject({
      status: 404,
    });
  });
});
