import http from "node:http";
import path from "node:path";
import { createAudioDecoder } from "../../src/audio/create-audio-decoder.ts";
import { loadMoonshine } from "../../src/providers/speech/load-moonshine.ts";
import { espeakWav } from "../../test/support/espeak-speech.ts";
import { startTestStation } from "../../test/support/start-test-station.ts";

export interface TranscriptionResult {
  audioSeconds: number;
  /** Medians of the interleaved rounds, wall clock. */
  engineMs: number;
  stationMs: number;
  /** Medians of the process's CPU time per request (client, server and engine share the process: the difference is Station's). */
  engineCpuMs: number;
  stationCpuMs: number;
}

/**
 * Local transcription through POST /v1/audio/transcriptions (in-process Station on a real port,
 * the client's fetch included) against what an application embedding the engine does: decode the
 * WAV, run the model. `dataDir/models/tiny-moonshine` must exist.
 */
export async function measureTranscription(dataDir: string, rounds: number): Promise<TranscriptionResult> {
  const wav = espeakWav("The quick brown fox jumps over the lazy dog. ".repeat(3));
  const decoder = createAudioDecoder({ maxBytes: 1e8, maxDurationSeconds: 600, ffmpegPath: "ffmpeg", ffmpegTimeoutMs: 60_000 });
  const audioSeconds = (await decoder.decode(wav, "a.wav")).durationSeconds;
  const station = await startTestStation({ dataDir, config: { providers: [{ id: "speech", type: "local-speech", threads: 1 }] } });
  const direct = await loadMoonshine(path.join(dataDir, "models", "tiny-moonshine"), 0, 1);
  // The form is encoded once: a client's own encoding cost (undici streams a FormData's Blob in small reads) is not Station's.
  const encoded = new Response(
    (() => {
      const form = new FormData();
      form.append("file", new Blob([wav]), "a.wav");
      form.append("model", "speech/tiny-moonshine");
      return form;
    })(),
  );
  const contentType = encoded.headers.get("content-type") ?? "";
  const body = Buffer.from(await encoded.arrayBuffer());
  // node:http, not fetch: undici's dispatch of a 400 kB body costs the client more CPU than Station spends.
  const target = new URL(`${station.url}/v1/audio/transcriptions`);
  const viaStation = () =>
    new Promise<void>((resolve, reject) => {
      const request = http.request(
        { host: target.hostname, port: target.port, path: target.pathname, method: "POST", headers: { "content-type": contentType } },
        (response) => {
          const chunks: Buffer[] = [];
          response.on("data", (chunk: Buffer) => chunks.push(chunk));
          response.on("end", () =>
            response.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${response.statusCode}: ${Buffer.concat(chunks)}`)),
          );
        },
      );
      request.on("error", reject);
      request.end(body);
    });
  const viaEngine = async () => {
    const audio = await decoder.decode(wav, "a.wav");
    await direct.transcribe(audio.samples);
  };
  const time = async (run: () => Promise<void>) => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    await run();
    const used = process.cpuUsage(cpu);
    return { wall: performance.now() - started, cpu: (used.user + used.system) / 1000 };
  };
  try {
    await viaStation();
    await viaEngine();
    const station: { wall: number; cpu: number }[] = [];
    const engine: { wall: number; cpu: number }[] = [];
    for (let round = 0; round < rounds; round++) {
      // Alternating which goes first: neither always runs on a cache the other warmed.
      if (round % 2 === 0) {
        station.push(await time(viaStation));
        engine.push(await time(viaEngine));
      } else {
        engine.push(await time(viaEngine));
        station.push(await time(viaStation));
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    return {
      audioSeconds,
      engineMs: median(engine.map((entry) => entry.wall)),
      stationMs: median(station.map((entry) => entry.wall)),
      engineCpuMs: median(engine.map((entry) => entry.cpu)),
      stationCpuMs: median(station.map((entry) => entry.cpu)),
    };
  } finally {
    await direct.dispose();
    await station.close({ keepDataDir: true });
  }
}
