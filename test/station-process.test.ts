import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runStation } from "./support/station-process.ts";

const directory = mkdtempSync(path.join(tmpdir(), "station-process-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The suite must leave no process behind, even when a test fails before it stops its server. */
describe("runStation children", () => {
  let pid: number | undefined;

  it("a test starts `station serve` and ends without stopping it (as a failed assertion would)", async () => {
    const station = runStation(["serve", "--port", "0", "--data-dir", path.join(directory, "data")]);
    pid = station.child.pid;
    const deadline = Date.now() + 60_000;
    while (!station.output().includes("Station listening on") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(station.output()).toContain("Station listening on");
  });

  it("the next test finds that server stopped", () => {
    expect(pid).toBeTypeOf("number");
    expect(isRunning(pid!)).toBe(false);
  });
});
