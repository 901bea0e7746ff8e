/**
 * Allocation and garbage collection per request: the bare proxy and Station (each drop-in surface
 * and /v1/chat/completions) relaying the fast fake upstream, each child run with --trace-gc-nvp.
 *   node --import tsx bench/gateway/allocation.ts [requests]
 * Bytes allocated are what V8 reports allocated between collections, so they count every object
 * that reached the heap, and the figures are counts: steady under a loaded machine, unlike
 * timings. Printed as ratios of the bare proxy's, with what a scavenge promotes to the old
 * generation (the median: a per-request object that outlives its request shows here, as ~85 KiB
 * becoming ~1.3 MB did when V8 pretenured a per-request literal: src/http/turn-off-pretenuring.ts)
 * and the main thread's pause in collections per 1000 requests (a timing, so noisier).
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
    ["--trace-gc", "--trace-gc-nvp", ...(tsx ? ["--import", "tsx"] : []), path.join(import.meta.dirname, script), ...args],
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
  /** What each scavenge moved to the old generation, bytes. */
  promoted: number[];
  /** The main thread's time stopped in collections, ms. */
  pauseMs: number;
}

/** The collections a --trace-gc-nvp log records after its first `skipLines` lines. */
function collections(log: string, skipLines: number): Collections {
  const result: Collections = { bytes: 0, scavenges: 0, markCompacts: 0, promoted: [], pauseMs: 0 };
  for (const line of readFileSync(log, "utf8").split("\n").slice(skipLines)) {
    // "[pid:0x…]  1234 ms: pause=0.6 mutator=39.9 gc=s … allocated=13435160 promoted=41848 …" (gc=mc: a mark-compact)
    const kind = / gc=(s|mc) /.exec(line)?.[1];
    if (kind === undefined) continue;
    const field = (name: string): number => Number(new RegExp(` ${name}=([\\d.]+)`).exec(line)?.[1] ?? 0);
    result.bytes += field("allocated");
    result.pauseMs += field("pause");
    if (kind === "s") {
      result.scavenges++;
      result.promoted.push(field("promoted"));
    } else result.markCompacts++;
  }
  return result;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

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
        `  per 1000 requests: ${((run.scavenges / run.requests) * 1000).toFixed(2)} scavenges, ${((run.markCompacts / run.requests) * 1000).toFixed(2)} mark-compacts, ` +
        `${(median(run.promoted) / 1024).toFixed(0)} KiB promoted a scavenge, ${((run.pauseMs / run.requests) * 1000).toFixed(2)} ms paused`,
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
