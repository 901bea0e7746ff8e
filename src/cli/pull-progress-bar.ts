import { SingleBar } from "cli-progress";
import type { PullFlags } from "./pull-flags.ts";

/** Bytes as the pull commands print them: megabytes, one decimal. */
export function megabytes(bytes: number): number {
  return Math.round(bytes / 1e5) / 10;
}

/** The progress bar of a `station pull`, in megabytes, on stderr. */
export interface PullProgressBar {
  /** Draws `received` of `total` bytes (the total may grow, or be unknown at first); `fields` fill the format's other tokens. */
  update(received: number, total: number | undefined, fields?: Record<string, unknown>): void;
  /** Ends the bar, if it was drawn. */
  stop(): void;
}

/**
 * A bar in `format` (cli-progress tokens; value and total in MB), drawn only on a terminal and
 * unless --no-progress: a pipe or a log file gets the summary lines alone.
 */
export function createPullProgressBar(flags: PullFlags, format: string): PullProgressBar {
  const show = flags.progress !== false && process.stderr.isTTY === true;
  const bar = new SingleBar({ format, hideCursor: true, stream: process.stderr });
  let started = false;
  return {
    update(received, total, fields) {
      if (!show) return;
      if (!started) {
        started = true;
        bar.start(megabytes(total ?? received), megabytes(received), fields);
      }
      if (total !== undefined) bar.setTotal(megabytes(total));
      bar.update(megabytes(received), fields);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
