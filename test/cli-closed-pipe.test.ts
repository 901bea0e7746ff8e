import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { stationBin } from "./support/station-process.ts";

const directory = mkdtempSync(path.join(tmpdir(), "station-pipe-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** Runs bin/station with its stdout a pipe whose reader is already gone (`station ... | head -0`). */
function runIntoClosedPipe(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [stationBin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.destroy();
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stderr })));
}

describe("bin/station on a closed pipe", () => {
  it("ends quietly (exit 0, no stack trace) when the reader has gone away", async () => {
    for (const args of [["models", "--data-dir", directory], ["models", "--json", "--data-dir", directory], ["--help"]]) {
      const { code, stderr } = await runIntoClosedPipe(args);
      expect(stderr, args.join(" ")).not.toMatch(/EPIPE|Unhandled|\n\s+at /);
      expect(code, args.join(" ")).toBe(0);
    }
  }, 120_000);
});
