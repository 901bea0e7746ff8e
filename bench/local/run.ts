/**
 * bench:local — Station's local engine vs node-llama-cpp called directly.
 *
 *   npm run bench:local [-- --size mid|small] [--rounds 5] [--tokens 64]
 *
 * Generates a random-weight llama GGUF (mid: ~400M params F16; small: ~14M), then, interleaved
 * round by round with the same settings (threads, context, temperature 0, same prompts):
 *   - tokens/s streamed through Station's HTTP API (bin/station serve, a child process, SSE)
 *   - tokens/s from node-llama-cpp in this process
 * plus time to first token on a cached prompt (the HTTP overhead), prompt-processing tok/s on
 * fresh prompts, peak RSS, and 1 vs 2 threads (the reason for the threads default).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os, { tmpdir } from "node:os";
import path from "node:path";
import { defaultThreadCount } from "../../src/providers/residency/default-thread-count.ts";
import { writeTinyGguf } from "../../test/support/tiny-gguf.ts";
import { benchArguments, numberOption } from "../bench-arguments.ts";
import { createDirectEngine, type GenerationTiming } from "./direct-generation.ts";
import { startStationServer } from "./station-generation.ts";

const { values } = benchArguments({
  size: { type: "string", default: "mid" },
  rounds: { type: "string", default: "5" },
  tokens: { type: "string", default: "64" },
});
const { size } = values;
const rounds = numberOption(values.rounds, "--rounds");
const maxTokens = numberOption(values.tokens, "--tokens");
const contextSize = 2048;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};
const decodeRate = (timing: GenerationTiming) => (timing.completionTokens - 1) / ((timing.totalMs - timing.ttftMs) / 1000);
const fixed = (value: number, digits = 1) => value.toFixed(digits);
const mb = (bytes: number) => `${Math.round(bytes / 1e6)} MB`;
const filler = "the quick brown fox jumps over the lazy dog and keeps running through the field ";

const workDir = mkdtempSync(path.join(tmpdir(), "station-bench-local-"));
const modelsDir = path.join(workDir, "models");
mkdirSync(modelsDir);
const benchModel = path.join(modelsDir, "bench.gguf");
const tinyModel = path.join(workDir, "tiny.gguf");

try {
  console.log(`machine: ${os.availableParallelism()} cores, ${mb(os.totalmem())} RAM; node ${process.version}`);
  const shape =
    size === "mid"
      ? { embeddingLength: 1024, blockCount: 28, feedForwardLength: 3072, headCount: 16, tensorType: "f16" as const }
      : { embeddingLength: 256, blockCount: 6, feedForwardLength: 768, headCount: 8, tensorType: "f16" as const };
  let started = performance.now();
  const bytes = await writeTinyGguf(benchModel, { ...shape, name: `bench-${size}`, textOnly: true });
  const parameters = (bytes - 50_000) / 2;
  console.log(
    `model: ${size}, ~${fixed(parameters / 1e6, 0)}M params F16, ${mb(bytes)} (generated in ${fixed((performance.now() - started) / 1000)} s)`,
  );
  await writeTinyGguf(tinyModel, { textOnly: true });

  // 1. Threads: 1 vs 2, decode tok/s, interleaved.
  console.log("\n== threads (node-llama-cpp direct, decode tok/s, median of 3) ==");
  for (const [label, modelPath, tokens] of [
    ["tiny (0.1M params F32)", tinyModel, 128],
    [`${size} model`, benchModel, Math.min(maxTokens, 32)],
  ] as const) {
    const engines = [
      await createDirectEngine({ modelPath, threads: 1, contextSize, sequences: 1 }),
      await createDirectEngine({ modelPath, threads: 2, contextSize, sequences: 1 }),
    ];
    const rates: number[][] = [[], []];
    for (let round = 0; round < 3; round++) {
      for (const index of round % 2 === 0 ? [0, 1] : [1, 0]) {
        rates[index]?.push(decodeRate(await (engines[index] as (typeof engines)[0]).generate(`threads ${round} ${filler}`, tokens)));
      }
    }
    const [one, two] = rates.map(median) as [number, number];
    console.log(`${label}: 1 thread ${fixed(one)} tok/s, 2 threads ${fixed(two)} tok/s (2/1 = ${fixed(two / one, 2)})`);
    for (const engine of engines) await engine.close();
  }
  const threads = defaultThreadCount();
  console.log(`threads default on this machine: ${threads}`);

  // 2. Station (HTTP, SSE, child process) vs direct, same settings, interleaved.
  console.log(
    `\n== Station HTTP vs direct: ${rounds} interleaved rounds, ${maxTokens} tokens, ${threads} thread(s), context ${contextSize} ==`,
  );
  started = performance.now();
  const station = await startStationServer({ dataDir: workDir, threads, contextSize });
  // The direct baseline is node-llama-cpp's fastest single-stream setup (one sequence: no batching wait).
  const direct = await createDirectEngine({ modelPath: benchModel, threads, contextSize, sequences: 1 });
  await station.generate("warm up", 4);
  await direct.generate("warm up", 4);
  console.log(`both ready in ${fixed((performance.now() - started) / 1000)} s`);

  const idleStart = station.cpuMs();
  await new Promise((resolve) => setTimeout(resolve, 3000));
  console.log(`Station server CPU while idle: ${fixed((station.cpuMs() - idleStart) / 30)} % of one core`);

  const results = { station: [] as GenerationTiming[], direct: [] as GenerationTiming[] };
  const cached = { station: [] as number[], direct: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    const prompt = `round ${round} ${filler.repeat(3)}`;
    const order = round % 2 === 0 ? (["station", "direct"] as const) : (["direct", "station"] as const);
    for (const side of order) results[side].push(await (side === "station" ? station : direct).generate(prompt, maxTokens));
  }
  // Time to first token when the prompt is already evaluated (the follow-up turn of a chat): what is left is Station's overhead.
  const cachedPrompt = `cached prompt ${filler}`;
  await station.generate(cachedPrompt, 1);
  await direct.generate(cachedPrompt, 1);
  for (let round = 0; round < Math.max(rounds, 5) * 2; round++) {
    cached.station.push((await station.generate(cachedPrompt, 1)).ttftMs);
    cached.direct.push((await direct.generate(cachedPrompt, 1)).ttftMs);
  }
  const report = (side: "station" | "direct") => {
    const timings = results[side];
    return {
      decode: median(timings.map(decodeRate)),
      promptRate: median(timings.map((timing) => timing.promptTokens / (timing.ttftMs / 1000))),
      promptTokens: median(timings.map((timing) => timing.promptTokens)),
      tokens: median(timings.map((timing) => timing.completionTokens)),
      cachedTtft: median(cached[side]),
      freshTtft: median(timings.map((timing) => timing.ttftMs)),
      endToEnd: median(timings.map((timing) => timing.completionTokens / (timing.totalMs / 1000))),
    };
  };
  const s = report("station");
  const d = report("direct");
  console.log("                        station      direct");
  console.log(`decode tok/s            ${fixed(s.decode).padEnd(12)} ${fixed(d.decode)}`);
  console.log(`end-to-end tok/s        ${fixed(s.endToEnd).padEnd(12)} ${fixed(d.endToEnd)}`);
  console.log(`prompt tok/s (fresh)    ${fixed(s.promptRate).padEnd(12)} ${fixed(d.promptRate)}   (${s.promptTokens} prompt tokens)`);
  console.log(`TTFT fresh prompt, ms   ${fixed(s.freshTtft).padEnd(12)} ${fixed(d.freshTtft)}`);
  console.log(`TTFT cached prompt, ms  ${fixed(s.cachedTtft).padEnd(12)} ${fixed(d.cachedTtft)}`);
  console.log(`completion tokens       ${String(s.tokens).padEnd(12)} ${d.tokens}`);
  console.log(`\nratio station/direct decode tok/s: ${fixed((s.decode / d.decode) * 100)} %  (target >= 95 %)`);
  console.log(`ratio station/direct end-to-end tok/s: ${fixed((s.endToEnd / d.endToEnd) * 100)} %`);
  console.log(`TTFT overhead (cached prompt, station - direct): ${fixed(s.cachedTtft - d.cachedTtft, 2)} ms  (target <= 5 ms)`);
  console.log(
    `peak RSS: station server ${mb(station.peakRssBytes())}, this process (direct engine) ${mb(process.resourceUsage().maxRSS * 1024)}`,
  );
  await station.stop();
  await direct.close();
} finally {
  rmSync(workDir, { recursive: true, force: true });
}
