/**
 * CPU per request counted in instructions, not seconds: each proxy runs under valgrind's
 * callgrind, which counts every instruction its threads execute. A count does not move with the
 * machine's load or a neighbour's cache, where timed rounds on a shared 2-core VM spread 10–20
 * points; it leaves out the kernel (the same syscalls per request for both proxies: `strace -c`).
 *   node --import tsx bench/gateway/instructions.ts [--requests N] [--warm-up N] [--repeats N] [--only a,b]
 * Needs valgrind (Debian's package); takes ~15 minutes. Both proxies start under callgrind at once
 * (~50 s), are warmed up at concurrency 16 (25 000 requests: under valgrind V8's optimising
 * compiler keeps re-optimising for far longer than natively, where it settles after ~20 000),
 * then counted over `requests` requests until `repeats` counts are settled (the helper threads
 * nearly idle: V8 no longer compiling; at most 4 × `repeats` counts). Printed: the event loop's
 * thread and the helper threads (optimising compiler, concurrent GC) apart, an unsettled count
 * marked `*`; the lowest settled main-thread count is the one compared, as a count that caught a
 * re-optimisation or a major GC is only ever higher.
 * INSTRUCTIONS_KEEP=1 keeps the dumps (its directory is printed) for callgrind_annotate, and has
 * Station write V8's perf map (/tmp/perf-<pid>.map) so its compiled JavaScript can be named.
 * `--only` counts only the drop-in surfaces named (as in surfaces.ts, e.g. "anthropic,completions").
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { benchArguments, numberOption } from "../bench-arguments.ts";
import { readyPort } from "./ready-port.ts";
import { sendConcurrency, sendRequests } from "./send-requests.ts";
import { type Surface, surfaces } from "./surfaces.ts";

const { values } = benchArguments({
  requests: { type: "string", default: "1000" },
  "warm-up": { type: "string", default: "25000" },
  repeats: { type: "string", default: "3" },
  only: { type: "string" },
});
const requests = numberOption(values.requests, "--requests");
const warmUp = numberOption(values["warm-up"], "--warm-up");
const repeats = numberOption(values.repeats, "--repeats");
const named = values.only?.split(",");
const keep = process.env.INSTRUCTIONS_KEEP !== undefined;
const model = "fast/bench-model";
/** Under valgrind a cold proxy's first requests take seconds each. */
const requestTimeoutSeconds = 120;
const children: ChildProcess[] = [];

interface Started {
  port: number;
  child: ChildProcess;
}

async function start(command: string, args: string[]): Promise<Started> {
  const child = spawn(command, args, { stdio: ["ignore", "ignore", "inherit", "ipc"], env: { ...process.env, STATION_BENCH_SOURCE: "0" } });
  children.push(child);
  return { port: await readyPort(child, args.join(" ")), child };
}

/** `node args` under callgrind, its counts dumped into `directory` (one file per dump). */
function underCallgrind(directory: string, args: string[]): Promise<Started> {
  return start("valgrind", [
    "--quiet",
    "--tool=callgrind",
    `--callgrind-out-file=${path.join(directory, "callgrind.out")}`,
    // V8 rewrites code in place (patching, moving code objects): re-check every written page.
    "--smc-check=all-non-file",
    process.execPath,
    ...args,
  ]);
}

function callgrindControl(child: ChildProcess, flag: "-z" | "-d"): void {
  const result = spawnSync("callgrind_control", [flag, String(child.pid)], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`callgrind_control ${flag}: ${result.stderr}`);
}

interface Counted {
  /** Instructions per request on the event loop's thread (the JavaScript, main-thread GC, HTTP parsing). */
  main: number;
  /** Instructions per request on V8's and libuv's helper threads (optimising compiler, concurrent GC). */
  helpers: number;
  /** Share of the main thread's instructions inside V8's collector (Heap::CollectGarbage). */
  gcShare: number;
}

/** Inclusive counts of the main thread, the helper threads and main-thread GC in the newest dump. */
function newestDump(directory: string): { main: number; helpers: number; gc: number } {
  const dumps = readdirSync(directory)
    .filter((name) => /^callgrind\.out\.\d+$/.test(name))
    .sort((a, b) => Number(a.split(".").pop()) - Number(b.split(".").pop()));
  const file = path.join(directory, dumps.at(-1) as string);
  const annotated = spawnSync("callgrind_annotate", ["--inclusive=yes", "--threshold=100", file], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  const inclusive = (pattern: RegExp): number => {
    const line = annotated.stdout.split("\n").find((candidate) => pattern.test(candidate));
    return line === undefined ? 0 : Number((/^\s*([\d,]+)/.exec(line)?.[1] ?? "0").replaceAll(",", ""));
  };
  const counts = {
    main: inclusive(/:node::Start\(int, char\*\*\)/),
    helpers: inclusive(/pthread_create\.c:start_thread /),
    gc: inclusive(/:v8::internal::Heap::CollectGarbage\(/),
  };
  if (!keep) rmSync(file);
  return counts;
}

/**
 * Helper-thread instructions per request above which a count is taken as caught mid-compilation:
 * settled counts ran 1–9 k on the helper threads, counts taken while V8's optimising compiler was
 * still re-optimising 27–370 k, with their main-thread counts up to a third higher.
 */
const settledHelpers = 15_000;
/** Counts taken at most, per surface, while waiting for `repeats` settled ones. */
const maxCounts = repeats * 4;

const isSettled = (run: Counted): boolean => run.helpers < settledHelpers;

/**
 * Counts of `requests` requests to one surface of a proxy under callgrind, until `repeats` of them
 * are settled (see settledHelpers) or `maxCounts` were taken.
 */
async function count(directory: string, proxy: Started, surface: Surface): Promise<Counted[]> {
  const counted: Counted[] = [];
  while (counted.filter(isSettled).length < repeats && counted.length < maxCounts) {
    callgrindControl(proxy.child, "-z");
    const sent = await sendRequests(proxy.port, surface, model, requests, requestTimeoutSeconds);
    callgrindControl(proxy.child, "-d");
    const { main, helpers, gc } = newestDump(directory);
    counted.push({ main: main / sent, helpers: helpers / sent, gcShare: main === 0 ? 0 : gc / main });
  }
  return counted;
}

const thousands = (value: number): string => `${(value / 1000).toFixed(1)} k`;
/**
 * The lowest settled main-thread count (a count that caught a re-optimisation or a major GC is
 * higher, never lower), or the lowest of all, marked, when none settled.
 */
const lowest = (runs: Counted[]): number => {
  const settled = runs.filter(isSettled);
  return Math.min(...(settled.length > 0 ? settled : runs).map((run) => run.main));
};
const unsettledMark = (runs: Counted[]): string => (runs.some(isSettled) ? "" : " (no count settled: still compiling)");
const describe = (runs: Counted[]): string =>
  `main thread ${runs.map((run) => `${thousands(run.main)}${isSettled(run) ? "" : "*"}`).join(" / ")} instructions/request ` +
  `(GC ${runs.map((run) => `${(run.gcShare * 100).toFixed(1)}`).join(" / ")} %), ` +
  `helper threads ${runs.map((run) => thousands(run.helpers)).join(" / ")}${unsettledMark(runs)}`;

async function main(): Promise<void> {
  if (spawnSync("callgrind_control", ["-h"], { stdio: "ignore" }).error !== undefined) {
    throw new Error("valgrind is not installed (apt-get install valgrind)");
  }
  const directory = mkdtempSync(path.join(tmpdir(), "station-instructions-"));
  const here = import.meta.dirname;
  /** Under valgrind, Station's node is the valgrind process itself: its pid names the perf map. */
  let stationPid: number | undefined;
  try {
    const upstream = await start(process.execPath, ["--import", "tsx", path.join(here, "upstream-server.ts"), "0", "0"]);
    const chat = surfaces[0] as Surface;
    const dropIns = surfaces.slice(1).filter((surface) => named === undefined || named.includes(surface.name));
    const known = surfaces.slice(1).map((surface) => surface.name);
    if (dropIns.length === 0 && named !== undefined) throw new Error(`--only names none of: ${known.join(", ")}`);
    console.log(
      `instruction counts (callgrind): ${requests} requests at concurrency ${sendConcurrency} per count, ${repeats} settled counts (at most ${maxCounts}), warm-up ${warmUp}, node ${process.version}`,
    );

    const bareDirectory = path.join(directory, "bare");
    const stationDirectory = path.join(directory, "station");
    for (const sub of [bareDirectory, stationDirectory]) mkdirSync(sub);
    // Both proxies start and warm up at once, one core each; a count does not depend on the other's work.
    const [bare, station] = await Promise.all([
      underCallgrind(bareDirectory, ["--import", "tsx", path.join(here, "bare-proxy.ts"), String(upstream.port), String(upstream.port)]),
      underCallgrind(stationDirectory, [
        ...(keep ? ["--perf-basic-prof-only-functions"] : []),
        path.join(here, "station-server.mjs"),
        String(upstream.port),
        String(upstream.port),
        path.join(directory, "data"),
      ]),
    ]);
    stationPid = station.child.pid;
    const results = new Map<string, Counted[]>();
    const countSurface = async (surface: Surface): Promise<void> => {
      results.set(surface.name, [...(results.get(surface.name) ?? []), ...(await count(stationDirectory, station, surface))]);
    };
    // A cold proxy under valgrind may time a request out; the warm-up's answers are not measured.
    const warm = (proxy: Started, surface: Surface, amount: number) =>
      sendRequests(proxy.port, surface, model, amount, requestTimeoutSeconds, true);
    const [bareRuns] = await Promise.all([
      (async () => {
        await warm(bare, chat, warmUp);
        const runs = await count(bareDirectory, bare, chat);
        bare.child.kill();
        return runs;
      })(),
      (async () => {
        // Every surface warmed before any is counted (they share most of their code), and chat
        // counted again at the end, so no surface is counted while another's code still compiles.
        await warm(station, chat, warmUp);
        for (const surface of dropIns) await warm(station, surface, warmUp / 4);
        for (const surface of [chat, ...dropIns]) await countSurface(surface);
        await countSurface(chat);
      })(),
    ]);
    console.log(`  bare proxy   ${describe(bareRuns)}`);
    const stationChat = lowest(results.get(chat.name) ?? []);
    console.log(
      `  station chat ${describe(results.get(chat.name) ?? [])}: ${((stationChat / lowest(bareRuns)) * 100).toFixed(1)} % of the bare proxy`,
    );
    for (const surface of dropIns) {
      const runs = results.get(surface.name) ?? [];
      console.log(
        `  ${surface.name.padEnd(12)} ${describe(runs)}: ${((lowest(runs) / stationChat) * 100).toFixed(1)} % of Station's chat completions`,
      );
    }
  } finally {
    // valgrind writes a last dump when its program ends: the directory goes only after that.
    await Promise.all(
      children.map((child) =>
        child.exitCode !== null || child.signalCode !== null
          ? undefined
          : new Promise((resolve) => {
              child.once("exit", resolve);
              child.kill();
            }),
      ),
    );
    if (!keep) rmSync(directory, { recursive: true, force: true });
    else console.log(`kept ${directory} (Station's perf map: /tmp/perf-${stationPid}.map)`);
  }
}

await main();
