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
import sharp from "sharp";
import { parseConfig } from "../../src/config/load-config.ts";
import { startServer } from "../../src/http/start-server.ts";
import { createLogger } from "../../src/logging/create-logger.ts";
import { loadMoonfile } from "../../src/providers/moonfile/load-moonfile.ts";
import type { EncodedImage } from "../../src/providers/moonfile/moondream-runner.ts";
import { readMoonfileIndex } from "../../src/providers/moonfile/moonfile-archive.ts";
import { createEncodingCache } from "../../src/providers/transformers/create-encoding-cache.ts";
import { localVisionThreadCount } from "../../src/providers/transformers/local-vision-thread-count.ts";
import { createStation } from "../../src/station/create-station.ts";
import { writeTinyMoonfile } from "../../test/support/tiny-moonfile.ts";

const argument = (name: string, fallback: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
};
const size = argument("size", "small");
const rounds = Number(argument("rounds", "3"));
const threads = localVisionThreadCount();
const fixed = (value: number, digits = 2) => value.toFixed(digits);
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

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

let imageSeed = 0;
const newImage = () => {
  imageSeed++;
  return sharp({
    create: { width: 320, height: 240, channels: 3, background: { r: (imageSeed * 37) % 256, g: (imageSeed * 91) % 256, b: 120 } },
  })
    .png()
    .toBuffer();
};

// --- the engine directly, on this thread ---
const directCache = createEncodingCache<EncodedImage>(0, { hits: 0, misses: 0, encoderRuns: 0, promptHits: 0, entries: 0, capacity: 0 });
const engine = await loadMoonfile({ path: file, index: await readMoonfileIndex(file), threads, cache: directCache });
const directCaption = async (png: Buffer, hash: string) =>
  (await engine.caption({ image: { data: png, mediaType: "image/png" }, contentHash: hash, length: "short", maxTokens: 256 })).text;

// --- Station, in this process ---
const config = parseConfig({
  dataDir: workDir,
  server: { port: 0 },
  logLevel: "silent",
  providers: [{ id: "vision", type: "local-vision", threads, parallelRequests: 2 }],
});
const station = await createStation(config, { logger: createLogger("silent") });
const server = await startServer(station);
const post = (route: string, body: Record<string, unknown>) =>
  fetch(`${server.url}${route}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const imageUrl = (png: Buffer) => `data:image/png;base64,${png.toString("base64")}`;
const stationCaption = async (png: Buffer): Promise<string> => {
  const response = await post("/v1/caption", { image_url: imageUrl(png), length: "short" });
  return ((await response.json()) as { caption: string }).caption;
};
const firstPiece = async (png: Buffer): Promise<number> => {
  const begin = performance.now();
  const response = await post("/v1/caption", { image_url: imageUrl(png), length: "short", stream: true });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let text = "";
  let at: number | undefined;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    if (at === undefined && /"chunk":"[^"]+/.test(text)) at = performance.now() - begin;
  }
  return at ?? performance.now() - begin;
};
const timed = async (run: () => Promise<unknown>) => {
  const begin = performance.now();
  await run();
  return performance.now() - begin;
};

const warm = await newImage();
const expected = await directCaption(warm, "warm");
const answered = await stationCaption(warm);
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
  viaStation.push(await timed(() => stationCaption(b)));
  stationDelay.disable();
}

const fresh: number[] = [];
const repeated: number[] = [];
stationDelay.enable();
for (let round = 0; round < rounds; round++) {
  const png = await newImage();
  fresh.push(await firstPiece(png));
  repeated.push(await firstPiece(png));
}
const one: number[] = [];
const two: number[] = [];
for (let round = 0; round < rounds; round++) {
  const [a, b, c] = [await newImage(), await newImage(), await newImage()];
  one.push(await timed(() => stationCaption(a)));
  two.push(await timed(() => Promise.all([stationCaption(b), stationCaption(c)])));
}
stationDelay.disable();

const directMs = sum(direct) / rounds;
const stationMs = sum(viaStation) / rounds;
const delayLine = (histogram: ReturnType<typeof monitorEventLoopDelay>) =>
  `p50 ${fixed(histogram.percentile(50) / 1e6)} ms, p99 ${fixed(histogram.percentile(99) / 1e6)} ms, max ${fixed(histogram.max / 1e6)} ms`;
console.log(
  `caption latency: direct ${fixed(directMs, 0)} ms, Station ${fixed(stationMs, 0)} ms → Station at ${fixed((directMs / stationMs) * 100, 1)} % of direct throughput`,
);
console.log(
  `first streamed piece: new image ${fixed(sum(fresh) / rounds, 0)} ms, same image again ${fixed(sum(repeated) / rounds, 0)} ms (${fixed(sum(fresh) / sum(repeated), 1)}× faster)`,
);
console.log(`event-loop delay: during Station inference ${delayLine(stationDelay)}; engine on this thread ${delayLine(directDelay)}`);
console.log(
  `2 requests at once vs 1: ${fixed((2 * sum(one)) / sum(two))}× the captions/s (1: ${fixed(sum(one) / rounds, 0)} ms each; 2: ${fixed(sum(two) / rounds, 0)} ms for both)`,
);
console.log(`peak RSS: ${fixed(process.resourceUsage().maxRSS / 1024, 0)} MB (the engine here and Station's worker)`);

await server.stop();
await engine.dispose();
rmSync(workDir, { recursive: true, force: true });
