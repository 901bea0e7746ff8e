import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * Vitest global setup: the run's temporary files all go under one directory of its own
 * (`TMPDIR` for the test workers and every process they start: Station children, espeak-ng,
 * Chromium), removed when the run ends. No test leaves a file behind, including one that
 * forgets its cleanup, is cut off by a timeout, or whose child writes after the test removed
 * its directory.
 */
export default function setup(): () => void {
  const previous = process.env.TMPDIR;
  const root = mkdtempSync(path.join(tmpdir(), "station-tests-"));
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(root, { recursive: true, force: true });
  };
}
