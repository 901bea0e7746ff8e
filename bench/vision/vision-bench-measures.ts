import type { monitorEventLoopDelay } from "node:perf_hooks";
import sharp from "sharp";

export const fixed = (value: number, digits = 2) => value.toFixed(digits);
export const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/** Milliseconds `run` takes. */
export async function timed(run: () => Promise<unknown>): Promise<number> {
  const begin = performance.now();
  await run();
  return performance.now() - begin;
}

/** An event-loop delay histogram as the vision benches print it: p50, p99 and max in ms. */
export function loopDelaySummary(histogram: ReturnType<typeof monitorEventLoopDelay>): string {
  return `p50 ${fixed(histogram.percentile(50) / 1e6)} ms, p99 ${fixed(histogram.percentile(99) / 1e6)} ms, max ${fixed(histogram.max / 1e6)} ms`;
}

/** PNGs of one size, each a new colour, so that no encoding cache can answer for the next. */
export function createImageSource(width: number, height: number): () => Promise<Buffer> {
  let seed = 0;
  return () => {
    seed++;
    return sharp({ create: { width, height, channels: 3, background: { r: (seed * 37) % 256, g: (seed * 91) % 256, b: 120 } } })
      .png()
      .toBuffer();
  };
}

/** Caption latency through Station against the engine called directly (the same rounds), as the vision benches print it. */
export function captionLatencyLine(direct: number[], viaStation: number[]): string {
  const directMs = sum(direct) / direct.length;
  const stationMs = sum(viaStation) / viaStation.length;
  return `caption latency: direct ${fixed(directMs, 0)} ms, Station ${fixed(stationMs, 0)} ms → Station at ${fixed((directMs / stationMs) * 100, 1)} % of direct throughput`;
}

/**
 * Captions/s with two requests at once against one, each round on new images (with
 * parallelRequests 2 the pair should take about as long as one): the line to print.
 */
export async function twoAtOnceVsOne(
  caption: (png: Buffer) => Promise<string>,
  newImage: () => Promise<Buffer>,
  rounds: number,
): Promise<string> {
  const one: number[] = [];
  const two: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const [a, b, c] = [await newImage(), await newImage(), await newImage()];
    one.push(await timed(() => caption(a)));
    two.push(await timed(() => Promise.all([caption(b), caption(c)])));
  }
  return `2 requests at once vs 1: ${fixed((2 * sum(one)) / sum(two))}× the captions/s (1: ${fixed(sum(one) / rounds, 0)} ms each; 2: ${fixed(sum(two) / rounds, 0)} ms for both)`;
}
