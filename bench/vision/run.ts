/**
 * bench:vision — Station's local vision engine vs transformers.js called directly.
 *
 *   npm run bench:vision [-- --size base|small] [--rounds 3]
 *
 * Writes a random-weight Florence-2 (base: Florence-2-base-sized, ~230M parameters, 768×768
 * input, 576 image tokens, d_model 768, 6+6 text layers, 51289 tokens; small: a quick variant)
 * whose decoder emits a fixed ~20-token caption, then measures in one run:
 *   - caption latency through Station's HTTP API (in this process) vs transformers.js directly
 *     (Florence2ForConditionalGeneration + processor + generate), interleaved, a new image each time
 *   - time to first streamed caption piece: a new image vs the same image again (encode once),
 *     and the same image with another task (only the vision encoder skipped)
 *   - event-loop delay (p99) while Station runs inference (its model runs in a worker thread; the
 *     bench's HTTP client shares the server's loop), against two baselines measured in the same
 *     rounds: the loop idle for as long (the machine's own noise) and transformers.js called
 *     directly on this thread (what Station did before the worker)
 *   - captions/s with 2 requests at once vs 1 (parallelRequests 2)
 *   - peak RSS of the process
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import {
  AutoProcessor,
  Florence2ForConditionalGeneration,
  type Florence2Processor,
  RawImage,
  type Tensor,
} from "@huggingface/transformers";
import sharp from "sharp";
import { parseConfig } from "../../src/config/load-config.ts";
import { startServer } from "../../src/http/start-server.ts";
import { createLogger } from "../../src/logging/create-logger.ts";
import { localVisionThreadCount } from "../../src/providers/transformers/local-vision-thread-count.ts";
import { createStation } from "../../src/station/create-station.ts";
import { writeTinyFlorence2 } from "../../test/support/tiny-florence2.ts";

const argument = (name: string, fallback: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
};
const size = argument("size", "base");
const rounds = Number(argument("rounds", "3"));
const threads = localVisionThreadCount();
const fixed = (value: number, digits = 2) => value.toFixed(digits);
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

const workDir = mkdtempSync(path.join(tmpdir(), "station-bench-vision-"));
const modelDirectory = path.join(workDir, "models", "bench-florence");
const shape =
  size === "base"
    ? { width: 768, heads: 12, visionLayers: 10, encoderLayers: 6, decoderLayers: 6, feedForward: 3072, imageSize: 768, patchSize: 32 }
    : { width: 256, heads: 4, visionLayers: 4, encoderLayers: 2, decoderLayers: 2, feedForward: 1024, imageSize: 384, patchSize: 32 };
const started = Date.now();
const written = writeTinyFlorence2(modelDirectory, {
  ...shape,
  vocabularySize: 51289,
  text: "A photograph of a small red boat on a calm lake at sunset",
  locations: [],
});
console.log(
  `model: ${size}, ${fixed(written.parameters / 1e6, 1)}M parameters (written in ${fixed((Date.now() - started) / 1000, 1)} s), ${threads} thread(s), ${rounds} rounds`,
);

let imageSeed = 0;
const newImage = () => {
  imageSeed++;
  return sharp({
    create: { width: 640, height: 480, channels: 3, background: { r: (imageSeed * 37) % 256, g: (imageSeed * 91) % 256, b: 120 } },
  })
    .png()
    .toBuffer();
};

// --- transformers.js directly ---
const model = await Florence2ForConditionalGeneration.from_pretrained(modelDirectory, {
  dtype: "fp32",
  device: "cpu",
  local_files_only: true,
  // The session options Station's worker uses (load-florence2.ts), so the comparison is of the plumbing.
  session_options: { intraOpNumThreads: threads, interOpNumThreads: 1, extra: { session: { intra_op: { allow_spinning: "0" } } } } as {
    intraOpNumThreads: number;
  },
});
const processor = (await AutoProcessor.from_pretrained(modelDirectory, { local_files_only: true })) as Florence2Processor;
const directCaption = async (png: Buffer): Promise<string> => {
  const image = await RawImage.fromBlob(new Blob([png as Uint8Array<ArrayBuffer>], { type: "image/png" }));
  const inputs = await processor(image, processor.construct_prompts("<CAPTION>"));
  const generated = (await model.generate({ ...inputs, max_new_tokens: 256, do_sample: false, num_beams: 1 })) as Tensor;
  return processor.batch_decode(generated, { skip_special_tokens: true })[0] ?? "";
};

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
/** Time to the first streamed caption piece. */
const firstPiece = async (png: Buffer, length: "short" | "normal"): Promise<number> => {
  const begin = performance.now();
  const response = await post("/v1/caption", { image_url: imageUrl(png), length, stream: true });
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

// Warm both paths (session initialisation, first allocations).
const warm = await newImage();
const expected = await directCaption(warm);
if ((await stationCaption(warm)).trim() !== expected.trim()) console.log(`note: captions differ: '${expected}'`);

const direct: number[] = [];
const viaStation: number[] = [];
const delay = monitorEventLoopDelay({ resolution: 5 });
const idleDelay = monitorEventLoopDelay({ resolution: 5 });
const directDelay = monitorEventLoopDelay({ resolution: 5 });
const during = async <T>(histogram: ReturnType<typeof monitorEventLoopDelay>, run: () => Promise<T>): Promise<T> => {
  histogram.enable();
  try {
    return await run();
  } finally {
    histogram.disable();
  }
};
for (let round = 0; round < rounds; round++) {
  const [a, b] = [await newImage(), await newImage()];
  direct.push(await during(directDelay, () => timed(() => directCaption(a))));
  viaStation.push(await during(delay, () => timed(() => stationCaption(b))));
  const idleFor = viaStation.at(-1) ?? 0;
  await during(idleDelay, () => new Promise((resolve) => setTimeout(resolve, idleFor)));
}

const fresh: number[] = [];
const repeated: number[] = [];
const otherTask: number[] = [];
delay.enable();
for (let round = 0; round < rounds; round++) {
  const png = await newImage();
  fresh.push(await firstPiece(png, "short"));
  repeated.push(await firstPiece(png, "short"));
  otherTask.push(await firstPiece(png, "normal"));
}
const one: number[] = [];
const two: number[] = [];
for (let round = 0; round < rounds; round++) {
  const [a, b, c] = [await newImage(), await newImage(), await newImage()];
  one.push(await timed(() => stationCaption(a)));
  two.push(await timed(() => Promise.all([stationCaption(b), stationCaption(c)])));
}
delay.disable();

const directMs = sum(direct) / rounds;
const stationMs = sum(viaStation) / rounds;
console.log(
  `caption latency: direct ${fixed(directMs, 0)} ms, Station ${fixed(stationMs, 0)} ms → Station at ${fixed((directMs / stationMs) * 100, 1)} % of direct throughput`,
);
console.log(
  `first streamed piece: new image ${fixed(sum(fresh) / rounds, 0)} ms, same image again ${fixed(sum(repeated) / rounds, 0)} ms (${fixed(sum(fresh) / sum(repeated), 1)}× faster), same image other task ${fixed(sum(otherTask) / rounds, 0)} ms (${fixed(sum(fresh) / sum(otherTask), 1)}× faster)`,
);
const loop = (histogram: ReturnType<typeof monitorEventLoopDelay>) =>
  `p50 ${fixed(histogram.percentile(50) / 1e6)} ms, p99 ${fixed(histogram.percentile(99) / 1e6)} ms, max ${fixed(histogram.max / 1e6)} ms`;
console.log(`event-loop delay during Station inference (worker thread): ${loop(delay)}`);
console.log(`  baselines in the same rounds: loop idle ${loop(idleDelay)}; transformers.js on this thread ${loop(directDelay)}`);
console.log(
  `  p99 during Station inference / idle: ${fixed(delay.percentile(99) / idleDelay.percentile(99))}×; / on this thread: ${fixed(delay.percentile(99) / directDelay.percentile(99), 3)}×`,
);
console.log(
  `2 requests at once vs 1: ${fixed((2 * sum(one)) / sum(two))}× the captions/s (1: ${fixed(sum(one) / rounds, 0)} ms each; 2: ${fixed(sum(two) / rounds, 0)} ms for both)`,
);
console.log(
  `peak RSS: ${fixed(process.resourceUsage().maxRSS / 1024, 0)} MB (both engines loaded), model files ${fixed((written.parameters * 4) / 1e6, 0)} MB`,
);

await server.stop();
await model.dispose();
rmSync(workDir, { recursive: true, force: true });
