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
import { localVisionThreadCount } from "../../src/providers/transformers/local-vision-thread-count.ts";
import { writeTinyFlorence2 } from "../../test/support/tiny-florence2.ts";
import { benchArguments, numberOption } from "../bench-arguments.ts";
import { startVisionBenchStation } from "./start-vision-bench-station.ts";
import { captionLatencyLine, createImageSource, fixed, loopDelaySummary, sum, timed, twoAtOnceVsOne } from "./vision-bench-measures.ts";

const { values } = benchArguments({ size: { type: "string", default: "base" }, rounds: { type: "string", default: "3" } });
const { size } = values;
const rounds = numberOption(values.rounds, "--rounds");
const threads = localVisionThreadCount();

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

const newImage = createImageSource(640, 480);

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
const station = await startVisionBenchStation(workDir, threads);

// Warm both paths (session initialisation, first allocations).
const warm = await newImage();
const expected = await directCaption(warm);
if ((await station.caption(warm)).trim() !== expected.trim()) console.log(`note: captions differ: '${expected}'`);

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
  viaStation.push(await during(delay, () => timed(() => station.caption(b))));
  const idleFor = viaStation.at(-1) ?? 0;
  await during(idleDelay, () => new Promise((resolve) => setTimeout(resolve, idleFor)));
}

const fresh: number[] = [];
const repeated: number[] = [];
const otherTask: number[] = [];
delay.enable();
for (let round = 0; round < rounds; round++) {
  const png = await newImage();
  fresh.push(await station.firstPiece(png, "short"));
  repeated.push(await station.firstPiece(png, "short"));
  otherTask.push(await station.firstPiece(png, "normal"));
}
const concurrency = await twoAtOnceVsOne(station.caption, newImage, rounds);
delay.disable();

console.log(captionLatencyLine(direct, viaStation));
console.log(
  `first streamed piece: new image ${fixed(sum(fresh) / rounds, 0)} ms, same image again ${fixed(sum(repeated) / rounds, 0)} ms (${fixed(sum(fresh) / sum(repeated), 1)}× faster), same image other task ${fixed(sum(otherTask) / rounds, 0)} ms (${fixed(sum(fresh) / sum(otherTask), 1)}× faster)`,
);
console.log(`event-loop delay during Station inference (worker thread): ${loopDelaySummary(delay)}`);
console.log(
  `  baselines in the same rounds: loop idle ${loopDelaySummary(idleDelay)}; transformers.js on this thread ${loopDelaySummary(directDelay)}`,
);
console.log(
  `  p99 during Station inference / idle: ${fixed(delay.percentile(99) / idleDelay.percentile(99))}×; / on this thread: ${fixed(delay.percentile(99) / directDelay.percentile(99), 3)}×`,
);
console.log(concurrency);
console.log(
  `peak RSS: ${fixed(process.resourceUsage().maxRSS / 1024, 0)} MB (both engines loaded), model files ${fixed((written.parameters * 4) / 1e6, 0)} MB`,
);

await station.stop();
await model.dispose();
rmSync(workDir, { recursive: true, force: true });
