import { type ChildProcess, fork } from "node:child_process";
import path from "node:path";
import { createAudioDecoder } from "../../src/audio/create-audio-decoder.ts";
import type { SpeechToTextResident } from "../../src/providers/speech/speech-to-text-resident.ts";
import { espeakWav } from "../../test/support/espeak-speech.ts";
import { startTestStation } from "../../test/support/start-test-station.ts";

export interface TranscriptionBlock {
  /** Medians of the block's interleaved rounds. */
  engineMs: number;
  stationMs: number;
  /** CPU per request of this process: the engine called directly, or Station serving the request (the client is another process). */
  engineCpuMs: number;
  stationCpuMs: number;
  /** The client process's own CPU per request (writing the form, reading the reply): not Station's. */
  clientCpuMs: number;
}

export interface TranscriptionResult {
  audioSeconds: number;
  uploadBytes: number;
  /** This process's CPU for one message to the client and its answer, the harness's share of stationCpuMs. */
  harnessCpuMs: number;
  blocks: TranscriptionBlock[];
}

/** The local model measured: its directory under `dataDir/models` and how the engine is loaded directly. */
export interface TranscriptionEngine {
  name: string;
  load(directory: string): Promise<SpeechToTextResident>;
  /** The request's `language` field, given to the direct call too (Whisper: no detection pass). */
  language?: string;
}

type ClientReply = { wall: number; cpu: number } | { error: string } | { ready: true };

/**
 * Local transcription through POST /v1/audio/transcriptions (Station in this process on a real
 * port, the HTTP client in another process so its work is not counted as Station's) against what
 * an application embedding the engine does: decode the WAV, run the model (in its own thread, loaded
 * afresh each block). `blocks` blocks of
 * `rounds` interleaved rounds each. `dataDir/models/<engine.name>` must exist.
 */
export async function measureTranscription(
  dataDir: string,
  rounds: number,
  blocks: number,
  measured: TranscriptionEngine,
): Promise<TranscriptionResult> {
  const wav = espeakWav("The quick brown fox jumps over the lazy dog. ".repeat(3));
  const decoder = createAudioDecoder({ maxBytes: 1e8, maxDurationSeconds: 600, ffmpegPath: "ffmpeg", ffmpegTimeoutMs: 60_000 });
  const audioSeconds = (await decoder.decode(wav, "a.wav")).durationSeconds;
  const station = await startTestStation({ dataDir, config: { providers: [{ id: "speech", type: "local-speech", threads: 1 }] } });
  const modelDirectory = path.join(dataDir, "models", measured.name);
  // The form is encoded once, as a client's recorder would hand it over.
  const encoded = new Response(
    (() => {
      const form = new FormData();
      form.append("file", new Blob([wav]), "a.wav");
      form.append("model", `speech/${measured.name}`);
      if (measured.language !== undefined) form.append("language", measured.language);
      return form;
    })(),
  );
  const contentType = encoded.headers.get("content-type") ?? "";
  const body = Buffer.from(await encoded.arrayBuffer());
  const client = fork(path.join(import.meta.dirname, "transcription-client.ts"), [`${station.url}/v1/audio/transcriptions`], {
    execArgv: ["--import", "tsx"],
  });
  const ask = (message: unknown) =>
    new Promise<ClientReply>((resolve, reject) => {
      client.once("message", (reply) => resolve(reply as ClientReply));
      client.once("exit", (code) => reject(new Error(`the bench client exited (${code})`)));
      client.send(message as Parameters<ChildProcess["send"]>[0]);
    });
  const cpuNow = () => {
    const used = process.cpuUsage();
    return (used.user + used.system) / 1000;
  };
  const viaStation = async () => {
    const cpu = cpuNow();
    const reply = await ask({ go: true });
    const stationCpu = cpuNow() - cpu;
    if ("error" in reply) throw new Error(reply.error);
    if (!("wall" in reply)) throw new Error("the bench client answered out of turn");
    return { wall: reply.wall, cpu: stationCpu, clientCpu: reply.cpu };
  };
  const viaEngine = async () => {
    const cpu = cpuNow();
    const started = performance.now();
    const audio = await decoder.decode(wav, "a.wav");
    const language = measured.language === undefined ? {} : { language: measured.language };
    await direct?.transcribe({ samples: audio.samples, task: "transcribe", timestamps: false, ...language });
    return { wall: performance.now() - started, cpu: cpuNow() - cpu, clientCpu: 0 };
  };
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  let direct: SpeechToTextResident | undefined;
  try {
    await ask({ form: { contentType, body: body.toString("base64") } });
    await viaStation();
    // The harness's own cost per Station round: one IPC message each way with nothing behind it.
    const pings: number[] = [];
    for (let index = 0; index < 20; index++) {
      const cpu = cpuNow();
      await ask({ ping: true });
      pings.push(cpuNow() - cpu);
    }
    const results: TranscriptionBlock[] = [];
    for (let block = 0; block < blocks; block++) {
      // A fresh load of the engine each block: two loads of one model can differ by ~10 % in CPU
      // for as long as they live, so one load alone would compare two sessions, not Station.
      await direct?.dispose();
      direct = await measured.load(modelDirectory);
      for (let warm = 0; warm < 2; warm++) {
        await viaStation();
        await viaEngine();
      }
      const station: Awaited<ReturnType<typeof viaStation>>[] = [];
      const engine: Awaited<ReturnType<typeof viaEngine>>[] = [];
      for (let round = 0; round < rounds; round++) {
        // Alternating which goes first: neither always runs on a cache the other warmed.
        if (round % 2 === 0) {
          station.push(await viaStation());
          engine.push(await viaEngine());
        } else {
          engine.push(await viaEngine());
          station.push(await viaStation());
        }
      }
      results.push({
        engineMs: median(engine.map((entry) => entry.wall)),
        stationMs: median(station.map((entry) => entry.wall)),
        engineCpuMs: median(engine.map((entry) => entry.cpu)),
        stationCpuMs: median(station.map((entry) => entry.cpu)),
        clientCpuMs: median(station.map((entry) => entry.clientCpu)),
      });
    }
    return { audioSeconds, uploadBytes: body.byteLength, harnessCpuMs: median(pings), blocks: results };
  } finally {
    client.kill();
    await direct?.dispose();
    await station.close({ keepDataDir: true });
  }
}
