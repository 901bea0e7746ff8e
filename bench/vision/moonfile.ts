/**
 * bench:vision-mf — a Moondream .mf through Station (its worker thread, HTTP) vs the same engine
 * called directly on this thread (load-moonfile.ts, the code the worker runs).
 *
 *   npm run bench:vision-mf [-- --size small|tiny] [--rounds 3]
 *
 * Writes a random-weight .mf in the client's layout (378×378 crops, 729 image tokens, float16
 * cache; small: text width 256, 4 heads, 4 decoder layers, 51200-token vocabulary, vision 128
 * channels × 2 blocks) whose decoder emits a fixed 12-token caption, then measures in one run:
 *   - caption latency through Station vs direct, interleaved, a new image each time
 *   - time to the first streamed piece: a new image vs the same image again (encode once: the
 *     vision encoder, the projection and the 730-position image prefill are skipped)
 *   - event-loop delay (p99) while Station runs inference, and while the direct engine runs on
 *     this thread (the baseline a worker thread removes)
 *   - captions/s with 2 requests at once vs 1 (parallelRequests 2)
 *   - peak RSS of the process
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { loadMoonfile } from "../../src/providers/moonfile/load-moonfile.ts";
import type { EncodedImage } from "../../src/providers/moonfile/moondream-runner.ts";
import { readMoonfileIndex } from "../../src/providers/moonfile/moonfile-archive.ts";
import { createEncodingCache } from "../../src/providers/transformers/create-encoding-cache.ts";
import { localVisionThreadCount } from "../../src/providers/transformers/local-vision-thread-count.ts";
import { writeTinyMoonfile } from "../../test/support/tiny-moonfile.ts";
import { benchArguments, numberOption } from "../bench-arguments.ts";
import { startVisionBenchStation } from "./start-vision-bench-station.ts";
import { captionLatencyLine, createImageSource, fixed, loopDelaySummary, sum, timed, twoAtOnceVsOne } from "./vision-bench-measures.ts";

const { values } = benchArguments({ size: { type: "string", default: "small" }, rounds: { type: "string", default: "3" } });
const { size } = values;
const rounds = numberOption(values.rounds, "--rounds");
const threads = localVisionThreadCount();

const workDir = mkdtempSync(path.join(tmpdir(), "station-bench-moonfile-"));
mkdirSync(path.join(workDir, "models"));
const file = path.join(workDir, "models", "bench-moondream.mf");
const shape =
  size === "small"
    ? { width: 256, heads: 4, layers: 4, visionChannels: 128, visionLayers: 2, vocabularySize: 51200 - 260 }
    : { width: 32, heads: 2, layers: 2, visionChannels: 16, visionLayers: 1, vocabularySize: 0 };
const words = ["A", "photograph", "of", "a", "small", "red", "boat", "on", "a", "calm", "lake", "today"];
const started = Date.now();
const written = writeTinyMoonfile(file, { words, shape });
console.log(
  `model: ${size}, ${fixed(written.bytes.length / 1e6, 1)} MB archive (written in ${fixed((Date.now() - started) / 1000, 1)} s), ${threads} thread(s), ${rounds} rounds`,
);

const newImage = createImageSource(320, 240);

// --- the engine directly, on this thread ---
const directCache = createEncodingCache<EncodedImage>(0, { hits: 0, misses: 0, encoderRuns: 0, promptHits: 0, entries: 0, capacity: 0 });
const engine = await loadMoonfile({ path: file, index: await readMoonfileIndex(file), threads, cache: directCache });
const directCaption = async (png: Buffer, hash: string) =>
  (await engine.caption({ image: { data: png, mediaType: "image/png" }, contentHash: hash, length: "short", maxTokens: 256 })).text;

// --- Station, in this process ---
const station = await startVisionBenchStation(workDir, threads);

const warm = await newImage();
const expected = await directCaption(warm, "warm");
const answered = await station.caption(warm);
if (answered.trim() !== expected.trim()) console.log(`note: captions differ: '${expected}' vs '${answered}'`);

const direct: number[] = [];
const viaStation: number[] = [];
const stationDelay = monitorEventLoopDelay({ resolution: 5 });
const directDelay = monitorEventLoopDelay({ resolution: 5 });
for (let round = 0; round < rounds; round++) {
  const [a, b] = [await newImage(), await newImage()];
  directDelay.enable();
  direct.push(await timed(() => directCaption(a, `direct-${round}`)));
  directDelay.disable();
  stationDelay.enable();
  viaStation.push(await timed(() => station.caption(b)));
  stationDelay.disable();
}

const fresh: number[] = [];
const repeated: number[] = [];
stationDelay.enable();
for (let round = 0; round < rounds; round++) {
  const png = await newImage();
  fresh.push(await station.firstPiece(png));
  repeated.push(await station.firstPiece(png));
}
const concurrency = await twoAtOnceVsOne(station.caption, newImage, rounds);
stationDelay.disable();

console.log(captionLatencyLine(direct, viaStation));
console.log(
  `first streamed piece: new image ${fixed(sum(fresh) / rounds, 0)} ms, same image again ${fixed(sum(repeated) / rounds, 0)} ms (${fixed(sum(fresh) / sum(repeated), 1)}× faster)`,
);
console.log(
  `event-loop delay: during Station inference ${loopDelaySummary(stationDelay)}; engine on this thread ${loopDelaySummary(directDelay)}`,
);
console.log(concurrency);
console.log(`peak RSS: ${fixed(process.resourceUsage().maxRSS / 1024, 0)} MB (the engine here and Station's worker)`);

await station.stop();
await engine.dispose();
rmSync(workDir, { recursive: true, force: true });
