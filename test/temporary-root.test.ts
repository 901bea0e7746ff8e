import { execFileSync } from "node:child_process";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

describe("the test run's temporary root", () => {
  it("holds this worker's and its child processes' temporary files, removed when the run ends", () => {
    expect(path.basename(tmpdir())).toMatch(/^station-tests-/);
    const child = execFileSync(process.execPath, ["-e", "process.stdout.write(require('node:os').tmpdir())"]).toString();
    expect(child).toBe(tmpdir());
  });
});
