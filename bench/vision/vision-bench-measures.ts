import type { monitorEventLoopDelay } from "node:perf_hooks";
import sharp from "sharp";

/** `--name value` from the command line, else the fallback. */
export function benchArgument(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

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
