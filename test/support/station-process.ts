import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { onTestFinished } from "vitest";

export const stationBin = path.resolve(import.meta.dirname, "../../bin/station");

export interface StationProcess {
  child: ChildProcess;
  /** Everything the process wrote so far (stdout + stderr). */
  output(): string;
  /** Resolves with the exit code (or signal name) when the process ends. */
  exited: Promise<number | string>;
}

/** Children still running; whatever a test leaves behind is stopped when it ends (or, at the latest, when the worker exits). */
const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/**
 * Stops a child if it still runs: SIGTERM first, so `station serve` closes its own children
 * (stdio MCP servers), then SIGKILL if it has not ended within `graceMs`.
 */
export async function stopStation(station: StationProcess, graceMs = 10_000): Promise<void> {
  const { child } = station;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await station.exited;
  clearTimeout(timer);
}

/**
 * Runs `bin/station <args>` as a real child process. Called inside a test, the child is stopped
 * when that test finishes, passed or failed: a failed assertion (a health check that timed out)
 * must not orphan a server that holds a port and a data dir after the suite ends.
 */
export function runStation(args: string[], environment: Record<string, string> = {}): StationProcess {
  const child = spawn(process.execPath, [stationBin, ...args], {
    env: { ...process.env, STATION_LOG_LEVEL: "info", ...environment },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? -1);
    });
  });
  const station = { child, output: () => output, exited };
  try {
    onTestFinished(() => stopStation(station));
  } catch {
    // Not inside a test (a beforeAll): the caller stops it in its afterAll, the exit handler otherwise.
  }
  return station;
}

/** Polls GET <url>/health until it answers 200 or the deadline passes. */
export async function waitForHealth(url: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    try {
      const response = await fetch(`${url}/health`);
      if (response.status === 200) return Date.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no /health from ${url} within ${timeoutMs} ms`);
}

/** A TCP port that was free a moment ago (for a child process that must be told its port). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}
