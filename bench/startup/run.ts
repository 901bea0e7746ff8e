/**
 * bench/startup: how soon the compiled build answers, and how much memory it holds idle.
 *
 * Each round, interleaved (load drift hits both alike):
 *   - baseline: `node -e` with a bare node:http server answering /health (Node's own start-up);
 *   - Station: `bin/station serve` with the default config and a fresh data dir (what
 *     `npm start` runs), timed from spawn to the first 200 from /health; its CPU time at that
 *     moment (/proc/<pid>/stat) and its RSS after it has idled;
 *   - `bin/station --version` against `node -e 0`.
 * Prints medians, Station's ratios to the baseline, and the absolute figures against the
 * targets (/health <= 1 s, idle RSS <= 120 MB, --version <= 0.3 s), with the load average.
 * `--against DIR` adds another built checkout (e.g. an older commit) to the same rounds.
 *
 *   npm run build && npm run bench:startup -- [rounds] [idleSeconds] [--against DIR]
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { get } from "node:http";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { buildIsCurrent } from "../../bin/build-is-current.mjs";
import { freePort } from "../../test/support/station-process.ts";
import { benchArguments, numberOption } from "../bench-arguments.ts";

const { values, positionals } = benchArguments({ against: { type: "string" } });
const against = values.against === undefined ? undefined : path.resolve(values.against);
const rounds = numberOption(positionals[0] ?? "5", "rounds (the first argument)");
const idleSeconds = numberOption(positionals[1] ?? "3", "idle seconds (the second argument)");
const root = path.resolve(import.meta.dirname, "../..");
const cli = path.join(root, "bin", "station");
const otherCli = against === undefined ? undefined : path.join(against, "bin", "station");
const clockTicksPerSecond = 100;

assertBuildIsCurrent(root);
if (against !== undefined) assertBuildIsCurrent(against);

interface StartSample {
  healthMs: number;
  cpuMs: number;
  rssMb: number;
  anonMb: number;
  fileMb: number;
}

const baselineServer = `
require("node:http").createServer((request, response) => {
  response.setHeader("content-type", "application/json");
  response.end('{"status":"ok"}');
}).listen(Number(process.argv[1]), "127.0.0.1");`;

async function sampleStart(command: (port: number, dataDir: string) => string[]): Promise<StartSample> {
  // A port free a moment ago (the machine is shared: a fixed range collides with other servers).
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), "bench-startup-"));
  const started = performance.now();
  const child = spawn(process.execPath, command(port, dataDir), {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, STATION_LOG_LEVEL: "warn" },
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  try {
    await waitForHealth(child, port, () => stderr);
    const healthMs = performance.now() - started;
    const cpuMs = cpuTimeMs(child.pid!);
    await new Promise((resolve) => setTimeout(resolve, idleSeconds * 1000));
    return { healthMs, cpuMs, ...memory(child.pid!) };
  } finally {
    await stop(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function sampleExit(args: string[]): Promise<number> {
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: "ignore" });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  if (code !== 0) throw new Error(`${args.join(" ")} exited with ${code}`);
  return performance.now() - started;
}

async function waitForHealth(child: ChildProcess, port: number, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode} before answering:\n${output()}`);
    if ((await healthStatus(port)) === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`no /health answer within 60 s:\n${output()}`);
}

function healthStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    const request = get({ host: "127.0.0.1", port, path: "/health", agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on("error", () => resolve(0));
  });
}

/** User plus system CPU time of a running process, from /proc (10 ms resolution). */
function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond) * 1000;
}

function memory(pid: number): { rssMb: number; anonMb: number; fileMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kilobytes = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rssMb: kilobytes("VmRSS") / 1024, anonMb: kilobytes("RssAnon") / 1024, fileMb: kilobytes("RssFile") / 1024 };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

/** bin/station runs the TypeScript sources through tsx when dist/ is stale: that is not what is measured here. */
function assertBuildIsCurrent(checkout: string): void {
  if (!buildIsCurrent(pathToFileURL(`${checkout}/`))) {
    console.error(
      `bench:startup measures the compiled build: run \`npm run build\` in ${checkout} first (dist/ is missing or older than src/, or STATION_FROM_SOURCE=1 is set).`,
    );
    process.exit(1);
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const field = (samples: StartSample[], key: keyof StartSample) => median(samples.map((sample) => sample[key]));
const loadAverage = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");

console.log(`bench:startup, ${rounds} interleaved rounds, idle ${idleSeconds} s before RSS; load average before: ${loadAverage()}`);
const baseline: StartSample[] = [];
const station: StartSample[] = [];
const other: StartSample[] = [];
const nodeExit: number[] = [];
const versionExit: number[] = [];
const otherVersionExit: number[] = [];
const serve = (bin: string) => (port: number, dataDir: string) => [bin, "serve", "--port", String(port), "--data-dir", dataDir];
for (let round = 0; round < rounds; round++) {
  baseline.push(await sampleStart((port) => ["-e", baselineServer, String(port)]));
  station.push(await sampleStart(serve(cli)));
  if (otherCli !== undefined) other.push(await sampleStart(serve(otherCli)));
  nodeExit.push(await sampleExit(["-e", "0"]));
  versionExit.push(await sampleExit([cli, "--version"]));
  if (otherCli !== undefined) otherVersionExit.push(await sampleExit([otherCli, "--version"]));
}

const startRows: [string, keyof StartSample, string][] = [
  ["/health after spawn (ms)", "healthMs", "<= 1000"],
  ["CPU time until then (ms)", "cpuMs", ""],
  ["idle RSS (MB)", "rssMb", "<= 120"],
  ["  anonymous (MB)", "anonMb", ""],
  ["  file-backed (MB)", "fileMb", ""],
];
const rows: [string, number, number, number, string][] = startRows.map(([name, key, target]) => [
  name,
  field(baseline, key),
  field(station, key),
  field(other, key),
  target,
]);
rows.push(["--version exit (ms)", median(nodeExit), median(versionExit), median(otherVersionExit), "<= 300"]);
const cell = (value: number, width: number, digits = 1) => value.toFixed(digits).padStart(width);
const againstHeader = against === undefined ? "" : `${"against".padStart(10)}${"ratio".padStart(8)}`;
console.log(`${"".padEnd(26)}${"node -e".padStart(10)}${"Station".padStart(10)}${"ratio".padStart(8)}${againstHeader}  target`);
for (const [name, base, value, otherValue, target] of rows) {
  const againstCells = against === undefined ? "" : `${cell(otherValue, 10)}${cell(otherValue / base, 8, 2)}`;
  console.log(`${name.padEnd(26)}${cell(base, 10)}${cell(value, 10)}${cell(value / base, 8, 2)}${againstCells}  ${target}`);
}
if (against !== undefined) console.log(`against: ${against}`);
console.log(`load average after: ${loadAverage()}`);
