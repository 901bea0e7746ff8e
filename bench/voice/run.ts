/**
 * bench/voice: real-time factor of local speech-to-text through Station's HTTP API
 * (POST /v1/audio/transcriptions: multipart, decode, resilience, engine) against the same engine
 * called directly, interleaved in one run. The model is the random-weight tiny Moonshine the
 * tests write (no weights can be downloaded here), so the figure that matters is the ratio:
 * Station's own cost per request relative to the engine's.
 *
 *   node --import tsx bench/voice/run.ts [rounds]
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createAudioDecoder } from "../../src/audio/create-audio-decoder.ts";
import { loadMoonshine } from "../../src/providers/speech/load-moonshine.ts";
import { espeakWav } from "../../test/support/espeak-speech.ts";
import { startTestStation } from "../../test/support/start-test-station.ts";
import { writeTinyMoonshine } from "../../test/support/tiny-moonshine.ts";

const rounds = Number(process.argv[2] ?? 10);
const dataDir = mkdtempSync(path.join(tmpdir(), "bench-voice-"));
mkdirSync(path.join(dataDir, "models"), { recursive: true });
const modelDir = path.join(dataDir, "models", "tiny-moonshine");
writeTinyMoonshine(modelDir, { width: 64, heads: 4 });
const wav = espeakWav("The quick brown fox jumps over the lazy dog. ".repeat(3));
const decoder = createAudioDecoder({ maxBytes: 1e8, maxDurationSeconds: 600, ffmpegPath: "ffmpeg", ffmpegTimeoutMs: 60_000 });
const audioSeconds = (await decoder.decode(wav, "a.wav")).durationSeconds;

const station = await startTestStation({ dataDir, config: { providers: [{ id: "speech", type: "local-speech", threads: 1 }] } });
const direct = await loadMoonshine(modelDir, 0, 1);
const viaStation = async () => {
  const form = new FormData();
  form.append("file", new Blob([wav]), "a.wav");
  form.append("model", "speech/tiny-moonshine");
  const response = await fetch(`${station.url}/v1/audio/transcriptions`, { method: "POST", body: form });
  if (response.status !== 200) throw new Error(`HTTP ${response.status}: ${await response.text()}`);
  await response.json();
};
// Direct: what an application embedding the engine does (decode the WAV, run the model).
const viaEngine = async () => {
  const audio = await decoder.decode(wav, "a.wav");
  await direct.transcribe(audio.samples);
};
const time = async (run: () => Promise<void>) => {
  const started = performance.now();
  await run();
  return performance.now() - started;
};
try {
  await viaStation();
  await viaEngine();
  const stationMs: number[] = [];
  const engineMs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    stationMs.push(await time(viaStation));
    engineMs.push(await time(viaEngine));
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const s = median(stationMs);
  const e = median(engineMs);
  console.log(`audio ${audioSeconds.toFixed(2)} s, ${rounds} interleaved rounds, medians:`);
  console.log(`  engine direct:   ${e.toFixed(1)} ms  (real-time factor ${(e / 1000 / audioSeconds).toFixed(4)})`);
  console.log(`  through Station: ${s.toFixed(1)} ms  (real-time factor ${(s / 1000 / audioSeconds).toFixed(4)})`);
  console.log(`  Station's speed as a share of the engine's: ${((e / s) * 100).toFixed(1)} % (target ≥ 95 %)`);
} finally {
  await direct.dispose();
  await station.close();
  rmSync(dataDir, { recursive: true, force: true });
}
