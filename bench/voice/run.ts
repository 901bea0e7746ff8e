/**
 * bench/voice, three parts in one run (npm run bench:voice -- [--rounds N] [--turns N] [--sessions N] [--only transcription|latency|load]):
 *
 *   --model tiny|toy: the random models' shape (default tiny: the real Moonshine tiny's and whisper-tiny's; toy: the tests')
 *   --blocks N: transcription blocks of --rounds interleaved rounds (default 3)
 *   --stt moonshine|whisper|both: the engines part 1 measures (default both)
 *
 * 1. Real-time factor of local speech-to-text through Station's HTTP API (POST
 *    /v1/audio/transcriptions: multipart, decode, resilience, engine) against the same engine
 *    called directly, interleaved: Moonshine, then Whisper.
 * 2. Realtime end of speech → first audio byte of the reply on one OpenAI-dialect session, audio
 *    paced like a microphone, broken down at the events that close each stage (VAD, STT, LLM first
 *    token, TTS first chunk), with each engine's own time taken at the provider in the Station
 *    process: what is left is Station's own share.
 * 3. `--sessions` realtime sessions streaming audio in at once: probe-event latency, end of turn
 *    and first audio p50/p99, RSS per session.
 *
 * The models are the random-weight tiny Moonshine, Whisper and VITS the tests write (no weights can be
 * downloaded here) and a fake chat model that answers at once: the engines are fast, so Station's
 * own costs are what the figures show.
 */
import { fork } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadMoonshine } from "../../src/providers/speech/load-moonshine.ts";
import { loadWhisper } from "../../src/providers/speech/load-whisper.ts";
import { espeakPcm24k } from "../../test/support/espeak-speech.ts";
import { writeTinyMoonshine } from "../../test/support/tiny-moonshine.ts";
import { writeTinyVits } from "../../test/support/tiny-vits.ts";
import { writeTinyWhisper } from "../../test/support/tiny-whisper.ts";
import { benchArguments, numberOption } from "../bench-arguments.ts";
import { trimSilence } from "./realtime-client.ts";
import { measureRealtimeLatency } from "./realtime-latency.ts";
import { measureRealtimeLoad } from "./realtime-load.ts";
import { measureTranscription } from "./transcription.ts";

const { values } = benchArguments({
  rounds: { type: "string", default: "10" },
  turns: { type: "string", default: "8" },
  sessions: { type: "string", default: "50" },
  only: { type: "string" },
  blocks: { type: "string", default: "3" },
  // tiny: the real Moonshine tiny's shape (width 288, 6+6 layers, 8 heads, 1152 feed-forward, 32768 tokens, its conv stem);
  // toy: the tests' size (width 64, one layer each), where Station's fixed cost per request shows most.
  model: { type: "string", default: "tiny" },
  stt: { type: "string", default: "both" },
});
const runs = (part: string) => values.only === undefined || values.only === part;
const silenceWindowMs = 500;
const dataDir = mkdtempSync(path.join(tmpdir(), "bench-voice-"));
mkdirSync(path.join(dataDir, "models"), { recursive: true });
const moonshine = writeTinyMoonshine(
  path.join(dataDir, "models", "tiny-moonshine"),
  values.model === "toy"
    ? { width: 64, heads: 4, text: "the quick brown fox" }
    : {
        width: 288,
        heads: 8,
        layers: 6,
        intermediate: 1152,
        vocabulary: 32768,
        stem: "moonshine",
        // About as many decoding steps as the real tiny's tokenizer takes for the clip (~35).
        text: "The quick brown fox jumps over the lazy dog.",
      },
);
const measuresWhisper = values.stt !== "moonshine" && runs("transcription");
// whisper-tiny's shape: width 384, 4 encoder and 4 decoder layers, 6 heads, 1536 feed-forward,
// 51865 tokens; scripted to say three sentences without repeating a word (~30 tokens, about what
// the real tokenizer makes of the clip).
const whisper = measuresWhisper
  ? writeTinyWhisper(path.join(dataDir, "models", "tiny-whisper"), {
      ...(values.model === "toy" ? { width: 64, heads: 4 } : { width: 384, heads: 6, layers: 4, intermediate: 1536, vocabulary: 51865 }),
      segments: [
        { text: " The quick brown fox jumps over the lazy dog.", start: 0, end: 3 },
        { text: " A wizard's job is to vex chumps quickly in fog.", start: 3.2, end: 6 },
        { text: " Pack my box with five dozen liquor jugs.", start: 6.2, end: 9 },
      ],
    })
  : undefined;
writeTinyVits(path.join(dataDir, "models", "tiny-vits"));
/** The engines called directly, as an application embedding transformers.js would (one thread). */
const loadMoonshineDirect = (directory: string) => loadMoonshine(directory, 0, 1);
const loadWhisperDirect = (directory: string) => loadWhisper(directory, 0, 1);
const median = (list: number[]) => quantile(list, 0.5);
function quantile(list: number[], q: number): number {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;
}
const ms = (value: number) => `${value.toFixed(1)} ms`;

try {
  if (runs("transcription")) {
    const engines = [
      ...(values.stt === "whisper"
        ? []
        : [{ label: "Moonshine", parameters: moonshine.parameters, engine: { name: "tiny-moonshine", load: loadMoonshineDirect } }]),
      ...(whisper === undefined
        ? []
        : [
            {
              label: "Whisper (language en, json)",
              parameters: whisper.parameters,
              engine: { name: "tiny-whisper", load: loadWhisperDirect, language: "en" },
            },
          ]),
    ];
    for (const { label, parameters, engine } of engines) {
      const result = await measureTranscription(
        dataDir,
        numberOption(values.rounds, "--rounds"),
        numberOption(values.blocks, "--blocks"),
        engine,
      );
      console.log(
        `\n1. Local transcription, ${result.audioSeconds.toFixed(2)} s of espeak-ng speech (${(result.uploadBytes / 1000).toFixed(0)} kB upload), ${label} '${values.model}' (${(parameters / 1e6).toFixed(1)} M parameters, random weights, 1 thread); ${values.blocks} blocks of ${values.rounds} interleaved rounds, medians:`,
      );
      console.log(`  harness (one IPC round trip to the client process): ${ms(result.harnessCpuMs)} CPU, counted in Station's`);
      result.blocks.forEach((block, index) => {
        console.log(
          `  block ${index + 1}: engine ${ms(block.engineMs)} (RTF ${(block.engineMs / 1000 / result.audioSeconds).toFixed(4)}), Station ${ms(block.stationMs)} → speed ${((block.engineMs / block.stationMs) * 100).toFixed(1)} %; CPU engine ${ms(block.engineCpuMs)}, Station ${ms(block.stationCpuMs)} → ${((block.engineCpuMs / block.stationCpuMs) * 100).toFixed(1)} %, Station's own CPU ${ms(block.stationCpuMs - block.engineCpuMs)}; client process ${ms(block.clientCpuMs)} (target ≥ 95 %)`,
        );
      });
    }
  }
  if (runs("latency") || runs("load")) {
    const child = fork(path.join(import.meta.dirname, "voice-station-server.ts"), [dataDir, "0", "0"], {
      execArgv: ["--import", "tsx"],
    });
    try {
      const port = await new Promise<string>((resolve, reject) => {
        child.once("message", (message) => resolve(String(message).split(" ")[1] ?? ""));
        child.once("exit", (code) => reject(new Error(`the Station child exited (${code})`)));
      });
      const url = `http://127.0.0.1:${port}`;
      const speech = trimSilence(espeakPcm24k("What is the weather like in Paris today?"));
      const speechSeconds = speech.length / 2 / 24_000;
      // The first turn loads both speech models: a warm-up, not counted.
      const [, ...turns] = await measureRealtimeLatency(url, child, speech, numberOption(values.turns, "--turns") + 1);
      if (runs("latency")) {
        const pick = (read: (turn: (typeof turns)[number]) => number) => median(turns.map(read));
        const own = turns.map(
          (turn) => turn.total - silenceWindowMs - turn.engine.stt - turn.engine.llmFirstToken - turn.engine.ttsFirstChunk,
        );
        console.log(
          `\n2. Realtime, end of speech → first audio byte (${speechSeconds.toFixed(2)} s of espeak-ng speech, microphone-paced, ${turns.length} turns, medians):`,
        );
        console.log(
          `  total:                 ${ms(pick((turn) => turn.total))}  (p90 ${ms(
            quantile(
              turns.map((t) => t.total),
              0.9,
            ),
          )})`,
        );
        console.log(
          `  VAD:                   ${ms(pick((turn) => turn.vad))}  = silence window ${silenceWindowMs} ms (the session's setting) + ${ms(pick((turn) => turn.vad - silenceWindowMs))} detection`,
        );
        console.log(
          `  STT:                   ${ms(pick((turn) => turn.stt))}  engine ${ms(pick((turn) => turn.engine.stt))}, Station ${ms(pick((turn) => turn.stt - turn.engine.stt))}`,
        );
        console.log(
          `  LLM first token:       ${ms(pick((turn) => turn.llm))}  engine ${ms(pick((turn) => turn.engine.llmFirstToken))}, Station ${ms(pick((turn) => turn.llm - turn.engine.llmFirstToken))}`,
        );
        console.log(
          `  TTS first chunk:       ${ms(pick((turn) => turn.tts))}  engine ${ms(pick((turn) => turn.engine.ttsFirstChunk))}, Station ${ms(pick((turn) => turn.tts - turn.engine.ttsFirstChunk))}`,
        );
        console.log(
          `  Station's own share:   ${ms(median(own))} (p90 ${ms(quantile(own, 0.9))}; total less the silence window and the three engines; target ≤ 50 ms)`,
        );
      }
      if (runs("load")) {
        const sessions = numberOption(values.sessions, "--sessions");
        const load = await measureRealtimeLoad(url, child, speech, sessions, 2, silenceWindowMs);
        const line = (name: string, list: number[]) =>
          console.log(`  ${name.padEnd(34)} p50 ${ms(quantile(list, 0.5))}  p99 ${ms(quantile(list, 0.99))}  (${list.length})`);
        console.log(`\n3. ${sessions} realtime sessions streaming microphone-paced audio at once, 2 spoken turns each:`);
        line("probe event round trip:", load.probe);
        line("end of turn beyond the window:", load.endOfTurn);
        line("end of speech → first audio:", load.firstAudio);
        console.log(`  replies completed: ${load.turnsAnswered}/${load.turnsExpected}`);
        const cpuPerAudioSecond = load.stationCpuMs / load.audioSeconds;
        console.log(
          `  Station CPU: ${(load.stationCpuMs / 1000).toFixed(1)} s for ${load.audioSeconds.toFixed(0)} s of audio in = ${ms(cpuPerAudioSecond)} per session-second (VAD, STT, LLM, TTS and all; one core keeps up with ~${Math.floor(1000 / cpuPerAudioSecond)} sessions)`,
        );
        console.log(
          `  RSS: ${(load.rssBaseline / 2 ** 20).toFixed(0)} MiB with the models loaded, peak ${(load.rssPeak / 2 ** 20).toFixed(0)} MiB: ${((load.rssPeak - load.rssBaseline) / sessions / 2 ** 20).toFixed(2)} MiB per session`,
        );
      }
    } finally {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
    }
  }
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
