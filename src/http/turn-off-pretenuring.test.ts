import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";

/** Keeps a million literals alive across young collections: V8 judges their allocation site long-lived. */
const survivingLiterals = `
  const keep = [];
  const make = (i) => ({ i, list: [i, i + 1], name: "n" });
  for (let i = 0; i < 1_000_000; i++) keep.push(make(i));
  console.log("kept " + keep.length);`;

/** The allocation-site decisions V8 prints (--trace-pretenuring-statistics) after `marker`. */
function pretenuringDecisions(script: string, marker: string): { lines: number; stdout: string; status: number | null; stderr: string } {
  const child = spawnSync(
    process.execPath,
    ["--trace-pretenuring", "--trace-pretenuring-statistics", "--import", "tsx", "--input-type=module", "-e", script],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 },
  );
  const after = child.stdout.slice(Math.max(0, child.stdout.indexOf(marker)));
  return {
    lines: after.split("\n").filter((line) => line.includes("pretenuring: AllocationSite")).length,
    stdout: child.stdout,
    status: child.status,
    stderr: child.stderr,
  };
}

describe("turnOffPretenuring", () => {
  it("is what a started server runs with: no allocation site is judged once it serves", () => {
    // Without it, the same literals are judged (the check can see a decision).
    const control = pretenuringDecisions(`console.log("serving"); ${survivingLiterals}`, "serving");
    expect(control.status, control.stderr).toBe(0);
    expect(control.lines).toBeGreaterThan(0);

    const dataDir = mkdtempSync(path.join(tmpdir(), "station-pretenuring-"));
    const source = (name: string) => JSON.stringify(path.join(import.meta.dirname, "..", name));
    try {
      const served = pretenuringDecisions(
        `const { parseConfig } = await import(${source("config/load-config.ts")});
        const { createStation } = await import(${source("station/create-station.ts")});
        const { startServer } = await import(${source("http/start-server.ts")});
        const config = parseConfig({ dataDir: ${JSON.stringify(dataDir)}, providers: [], server: { port: 0 }, logLevel: "silent" });
        const running = await startServer(await createStation(config));
        console.log("serving");
        ${survivingLiterals}
        await running.stop();`,
        "serving",
      );
      expect(served.status, served.stderr).toBe(0);
      expect(served.stdout).toContain("kept 1000000");
      expect(served.lines).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
