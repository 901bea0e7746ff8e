/**
 * Allocation and garbage collection per request: the bare proxy and Station (each drop-in surface
 * and /v1/chat/completions) relaying the fast fake upstream, each child run with --trace-gc.
 *   node --import tsx bench/gateway/allocation.ts [requests]
 * Bytes allocated are the heap's growth between collections (what each collection found minus
 * what the previous one left), so they count every object that reached the heap, and the figures
 * are counts: steady under a loaded machine, unlike timings. Printed as ratios of the bare proxy's.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readyPort } from "./ready-port.ts";
import { sendRequests } from "./send-requests.ts";
import { type Surface, surfaces } from "./surfaces.ts";

const requests = Number(process.argv[2] ?? 20_000);
const children: ChildProcess[] = [];
const workDir = mkdtempSync(path.join(tmpdir(), "station-bench-gc-"));
const built = existsSync(path.join(import.meta.dirname, "../../dist/station/create-station.js"));

/** Starts a child with --trace-gc, its stdout (GC lines and Station's request log) into `log`. */
function startChild(script: string, args: string[], log: string, tsx: boolean): Promise<number> {
  const child = spawn(
    process.execPath,
    ["--trace-gc", ...(tsx ? ["--import", "tsx"] : []), path.join(import.meta.dirname, script), ...args],
    {
      stdio: ["ignore", openSync(log, "w"), "inherit", "ipc"],
      env: { ...process.env, STATION_BENCH_SOURCE: tsx ? "1" : "0" },
    },
  );
  children.push(child);
  return readyPort(child, script);
}

interface Collections {
  bytes: number;
  scavenges: number;
  markCompacts: number;
}

/** The collections a --trace-gc log records after its first `skipLines` lines. */
function collections(log: string, skipLines: number): Collections {
  const result: Collections = { bytes: 0, scavenges: 0, markCompacts: 0 };
  let previousAfter: number | undefined;
  for (const line of readFileSync(log, "utf8").split("\n").slice(skipLines)) {
    // "[pid:0x…]  1234 ms: Scavenge 12.3 (20.1) -> 8.7 (20.1) MB, …"
    const match = /: (Scavenge|Mark-Compact)[^\d]*([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/.exec(line);
    if (match === null) continue;
    const before = Number(match[2]);
    const after = Number(match[3]);
    if (previousAfter !== undefined) result.bytes += Math.max(0, before - previousAfter) * 1024 * 1024;
    previousAfter = after;
    if (match[1] === "Scavenge") result.scavenges++;
    else result.markCompacts++;
  }
  return result;
}

const lineCount = (log: string): number => readFileSync(log, "utf8").split("\n").length;

async function measure(port: number, surface: Surface, log: string): Promise<Collections & { requests: number }> {
  await sendRequests(port, surface, "fast/bench-model", 3000); // warm-up: JIT, pools, the young generation's size
  const skip = lineCount(log);
  const total = await sendRequests(port, surface, "fast/bench-model", requests);
  await new Promise((resolve) => setTimeout(resolve, 300)); // the last lines reach the file
  return { ...collections(log, skip), requests: total };
}

try {
  const upstream = await startChild("upstream-server.ts", ["0", "0"], path.join(workDir, "upstream.log"), true);
  const bareLog = path.join(workDir, "bare.log");
  const bare = await startChild("bare-proxy.ts", [String(upstream), String(upstream)], bareLog, true);
  const chat = surfaces[0] as Surface;
  console.log(`allocation per request, ${requests} requests at concurrency 16 each, node ${process.version}`);
  console.log(`station: ${built ? "compiled build (dist/, plain node)" : "TypeScript sources through tsx"}`);
  const baseline = await measure(bare, chat, bareLog);
  const perRequest = (run: Collections & { requests: number }) => run.bytes / run.requests;
  const row = (name: string, run: Collections & { requests: number }) =>
    console.log(
      `  ${name.padEnd(22)} ${(perRequest(run) / 1024).toFixed(1).padStart(6)} KiB (${((perRequest(run) / perRequest(baseline)) * 100).toFixed(0).padStart(3)} % of the bare proxy)` +
        `  per 1000 requests: ${((run.scavenges / run.requests) * 1000).toFixed(2)} scavenges, ${((run.markCompacts / run.requests) * 1000).toFixed(2)} mark-compacts`,
    );
  row("bare proxy (chat)", baseline);
  // One Station per surface, so each log holds that surface's collections only.
  for (const surface of surfaces) {
    const log = path.join(workDir, `station-${surface.path.replaceAll("/", "_")}.log`);
    const dataDir = mkdtempSync(path.join(workDir, "data-"));
    const port = await startChild("station-server.mjs", [String(upstream), String(upstream), dataDir], log, !built);
    row(`station ${surface.name}`, await measure(port, surface, log));
    children.pop()?.kill();
  }
} finally {
  for (const child of children) child.kill();
  await new Promise((resolve) => setTimeout(resolve, 500));
  rmSync(workDir, { recursive: true, force: true });
}
