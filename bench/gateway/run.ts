/**
 * Gateway benchmark: direct to a fake upstream, through a bare proxy (the floor for a Node
 * gateway) and through Station, interleaved in one run on this machine.
 *   npm run bench:gateway [-- --quick] [-- --no-pin] [-- --no-surfaces | --surfaces] [-- --source] [-- --rounds N]
 * Prints added latency (p50/p99 at concurrency 1, in rounds and interleaved request by request),
 * throughput at concurrency 16 (autocannon), each process's CPU time per request and streaming
 * time-to-first-chunk, with Station's figures as ratios of the bare proxy's.
 *
 * How it is judged: Station and the bare proxy run in many short rounds whose order alternates
 * (bare first, then Station first), each on the same pinned core (pinning.ts); every figure is
 * Station's over the bare proxy's *in the same round*, and the median of those paired ratios is
 * the result, with its quartiles beside it to say how far to trust it. CPU time per request
 * (process.cpuUsage of each proxy between rounds) is the steadier figure on a loaded machine;
 * throughput is the one the target names.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { Pool } from "undici";
import { benchArguments, numberOption } from "../bench-arguments.ts";
import { choosePinning, onCpu, pinThisProcess } from "./pinning.ts";
import { readyPort } from "./ready-port.ts";
import { benchSurfaces } from "./surfaces.ts";

const { values: flags } = benchArguments({
  quick: { type: "boolean" },
  surfaces: { type: "boolean" },
  "no-surfaces": { type: "boolean" },
  "no-pin": { type: "boolean" },
  source: { type: "boolean" },
  /** Paired throughput rounds of the part that runs (default 20, or 10 for the surfaces; --quick 6 / 3). */
  rounds: { type: "string" },
});
const quick = flags.quick === true;
/** Only the drop-in surfaces against Station's own chat completions (skips direct and the bare proxy). */
const surfacesOnly = flags.surfaces === true;
/** Station's /v1/chat/completions against the bare proxy only (skips the drop-in surfaces). */
const skipSurfaces = flags["no-surfaces"] === true;
/** Many short paired rounds: one slow round (a burst of other work on the machine) moves the median little. */
const roundsGiven = flags.rounds === undefined ? undefined : numberOption(flags.rounds, "--rounds");
const rounds = roundsGiven ?? (quick ? 6 : 20);
const throughputSeconds = quick ? 1 : 1.5;
const warmUpSeconds = quick ? 2 : 4;
const latencyRounds = quick ? 4 : 10;
const latencyRequestsPerRound = quick ? 150 : 500;
const streamRequests = quick ? 20 : 50;
/** Requests per target in the one-by-one interleaved latency part. */
const interleavedRequests = quick ? 1000 : 5000;
/** The drop-in surfaces' part keeps its own rounds (surfaces.ts). */
/** Ten rounds of 2 s rather than five of 4 s: the same time, twice the paired ratios for the median. */
const surfaceRounds = roundsGiven ?? (quick ? 3 : 10);
const surfaceLatencyRequests = quick ? 200 : 500;
const surfaceThroughputSeconds = quick ? 1.5 : 2;
const pinning = choosePinning(flags["no-pin"] === true);
const children: ChildProcess[] = [];

/** CPU time (user + system) a child has used so far, in µs; undefined where /proc is missing. */
function cpuMicros(pid: number | undefined): number | undefined {
  const file = `/proc/${pid}/stat`;
  if (pid === undefined || !existsSync(file)) return undefined;
  // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100 Hz).
  const fields = readFileSync(file, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

interface Started {
  port: number;
  pid: number | undefined;
  child: ChildProcess;
}

function startChild(script: string, args: string[], options: { tsx?: boolean; cpu?: number | undefined } = {}): Promise<Started> {
  const tsx = options.tsx ?? true;
  // Children's stdout goes to /dev/null (Station's request log is written there at full cost, as
  // in production) and never to this process, which also runs the load generator.
  const loader = tsx ? ["--import", "tsx"] : [];
  const [command, commandArgs] = onCpu(options.cpu, process.execPath, [...loader, path.join(import.meta.dirname, script), ...args]);
  const child = spawn(command, commandArgs, {
    stdio: ["ignore", "ignore", "inherit", "ipc"],
    // The compiled build runs on plain Node (as `npm start` runs it); the sources through tsx.
    env: { ...process.env, STATION_BENCH_SOURCE: tsx ? "1" : "0" },
  });
  children.push(child);
  return readyPort(child, script).then((port) => ({ port, pid: child.pid, child }));
}

interface Target {
  name: "direct" | "bare proxy" | "station";
  port: number;
  pid?: number | undefined;
  child?: ChildProcess | undefined;
  model: string;
  slowModel: string;
}

/**
 * A child's CPU time so far in µs: its own process.cpuUsage() over IPC (report-cpu-usage.ts),
 * else /proc; undefined where neither answers.
 */
function cpuTime(target: Target): Promise<number | undefined> {
  const { child } = target;
  if (child === undefined || !child.connected) return Promise.resolve(cpuMicros(target.pid));
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off("message", onMessage);
      resolve(cpuMicros(target.pid));
    }, 2000);
    const onMessage = (message: unknown): void => {
      const usage = (message as { cpuUsage?: NodeJS.CpuUsage } | null)?.cpuUsage;
      if (usage === undefined) return;
      clearTimeout(timer);
      child.off("message", onMessage);
      resolve(usage.user + usage.system);
    };
    child.on("message", onMessage);
    child.send("cpu-usage");
  });
}

const body = (model: string, stream = false): string =>
  JSON.stringify({
    model,
    messages: [
      { role: "system", content: "You are a concise assistant." },
      { role: "user", content: "Say something about foxes and dogs, please." },
    ],
    temperature: 0.2,
    ...(stream ? { stream: true } : {}),
  });

function postChat(pool: Pool, payload: string) {
  return pool.request({ method: "POST", path: "/v1/chat/completions", headers: { "content-type": "application/json" }, body: payload });
}

async function latencies(target: Target, count: number): Promise<number[]> {
  const pool = new Pool(`http://127.0.0.1:${target.port}`, { connections: 1 });
  const payload = body(target.model);
  const samples: number[] = [];
  for (let index = 0; index < count; index++) {
    const started = process.hrtime.bigint();
    const response = await postChat(pool, payload);
    await response.body.text();
    if (response.statusCode !== 200) throw new Error(`${target.name} answered ${response.statusCode}`);
    samples.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  await pool.close();
  return samples;
}

/**
 * Latency at concurrency 1 with the targets' requests interleaved one by one (direct, bare proxy,
 * Station; the two proxies swap places every other turn), so a slow spell of the machine lands on
 * neighbouring requests of every target alike instead of on one target's whole round.
 */
async function interleavedLatencies(targets: Target[], count: number): Promise<Map<string, number[]>> {
  const pools = targets.map((target) => new Pool(`http://127.0.0.1:${target.port}`, { connections: 1 }));
  const payloads = targets.map((target) => body(target.model));
  const samples = new Map<string, number[]>(targets.map((target) => [target.name, []]));
  const order = targets.map((_, position) => position);
  for (let index = 0; index < count; index++) {
    const turn = index % 2 === 0 ? order : [order[0] as number, ...order.slice(1).reverse()];
    for (const position of turn) {
      const started = process.hrtime.bigint();
      const response = await postChat(pools[position] as Pool, payloads[position] as string);
      await response.body.text();
      const target = targets[position] as Target;
      if (response.statusCode !== 200) throw new Error(`${target.name} answered ${response.statusCode}`);
      samples.get(target.name)?.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  await Promise.all(pools.map((pool) => pool.close()));
  return samples;
}

interface Throughput {
  rps: number;
  /** CPU the target process spent per request, in µs (undefined where it cannot be read). */
  cpuPerRequest: number | undefined;
}

async function throughput(target: Target, seconds = throughputSeconds): Promise<Throughput> {
  const cpuBefore = await cpuTime(target);
  const result = await autocannon({
    url: `http://127.0.0.1:${target.port}/v1/chat/completions`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: body(target.model),
    connections: 16,
    duration: seconds,
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${target.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  const cpuAfter = await cpuTime(target);
  const cpuPerRequest = cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuAfter - cpuBefore) / result.requests.total;
  return { rps: result.requests.average, cpuPerRequest };
}

/** Time to the first streamed byte, and to the end, for a stream whose chunks come 5 ms apart. */
async function streaming(target: Target, count: number): Promise<{ first: number[]; total: number[] }> {
  const pool = new Pool(`http://127.0.0.1:${target.port}`, { connections: 1 });
  const payload = body(target.slowModel, true);
  const first: number[] = [];
  const total: number[] = [];
  for (let index = 0; index < count; index++) {
    const started = process.hrtime.bigint();
    const response = await postChat(pool, payload);
    let firstAt: number | undefined;
    let text = "";
    for await (const chunk of response.body) {
      firstAt ??= Number(process.hrtime.bigint() - started) / 1e6;
      text += chunk.toString();
    }
    if (!text.includes("[DONE]")) throw new Error(`${target.name}: stream did not finish`);
    first.push(firstAt ?? Number.NaN);
    total.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  await pool.close();
  return { first, total };
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};
/** Linear-interpolated quantile (q in 0..1): the median of an even count is the mean of the middle two. */
const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (at - low);
};
const ms = (value: number): string => `${value.toFixed(3)} ms`;
const signedMs = (value: number): string => `${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(3)} ms`;
const percent = (ratio: number): string => `${(ratio * 100).toFixed(1)} %`;
/** "median (quartiles p25–p75; every round)" of paired ratios. */
const pairedSummary = (ratios: number[]): string =>
  `${percent(quantile(ratios, 0.5))} (quartiles ${(quantile(ratios, 0.25) * 100).toFixed(0)}–${(quantile(ratios, 0.75) * 100).toFixed(0)} %; ` +
  `rounds ${ratios.map((ratio) => (ratio * 100).toFixed(0)).join(", ")})`;
const load = (): string =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(" ");
/** Bare proxy and Station in this round's order: bare first in even rounds, Station first in odd ones. */
const pairOrder = (round: number, bare: Target, station: Target): Target[] => (round % 2 === 0 ? [bare, station] : [station, bare]);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "station-bench-"));
  try {
    // The bench process and the upstreams it starts (they inherit its core) on one core; each proxy on the other.
    if (pinning !== undefined) pinThisProcess(pinning.loadCpu);
    const proxyCpu = pinning?.proxyCpu;
    const fast = await startChild("upstream-server.ts", ["0", "0"]);
    const slowPort = (await startChild("upstream-server.ts", ["0", "5"])).port;
    const bareProxy = await startChild("bare-proxy.ts", [String(fast.port), String(slowPort)], { cpu: proxyCpu });
    // Station as `npm start` runs it: the compiled build when there is one (`npm run build`), else the sources.
    const built = existsSync(path.join(import.meta.dirname, "../../dist/station/create-station.js")) && flags.source !== true;
    console.log(`station: ${built ? "compiled build (dist/, plain node)" : "TypeScript sources through tsx"}`);
    const stationServer = await startChild("station-server.mjs", [String(fast.port), String(slowPort), dataDir], {
      tsx: !built,
      cpu: proxyCpu,
    });
    const targets: Target[] = [
      { name: "direct", ...fast, model: "bench-model", slowModel: "bench-model" },
      { name: "bare proxy", ...bareProxy, model: "fast/bench-model", slowModel: "slow/bench-model" },
      { name: "station", ...stationServer, model: "fast/bench-model", slowModel: "slow/bench-model" },
    ];
    const [direct, bare, station] = targets as [Target, Target, Target];
    const directSlow: Target = { name: "direct", port: slowPort, model: "bench-model", slowModel: "bench-model" };
    const surfaceOptions = {
      port: stationServer.port,
      model: "fast/bench-model",
      slowModel: "slow/bench-model",
      rounds: surfaceRounds,
      latencyRequests: surfaceLatencyRequests,
      throughputSeconds: surfaceThroughputSeconds,
      streamRequests,
      cpuMicros: () => cpuMicros(stationServer.pid),
    };
    const pinned =
      pinning === undefined
        ? "unpinned (no taskset or one core, or --no-pin)"
        : `pinned: load generator and upstreams on CPU ${pinning.loadCpu}, each proxy on CPU ${pinning.proxyCpu}`;
    if (surfacesOnly) {
      console.log(
        `gateway bench (surfaces): ${surfaceRounds} interleaved rounds, node ${process.version}${quick ? " (quick)" : ""}, ${pinned}`,
      );
      await benchSurfaces(surfaceOptions);
      return;
    }
    console.log(
      `gateway bench: ${rounds} paired throughput rounds of ${throughputSeconds} s and ${latencyRounds} latency rounds of ${latencyRequestsPerRound} requests, ` +
        `node ${process.version}${quick ? " (quick)" : ""}\n  ${pinned}\n  load average at start: ${load()}`,
    );

    // Warm-up: JIT tiers and pools at full concurrency, long enough for Station's larger code to
    // reach its optimised steady state (its first rounds cost more CPU than its later ones otherwise).
    for (const target of targets) await latencies(target, 200);
    for (const target of targets) await throughput(target, warmUpSeconds);

    const samples = new Map<string, number[]>(targets.map((target) => [target.name, []]));
    /** Per latency round: Station's p99 minus the bare proxy's in that round. */
    const roundP99Differences: number[] = [];
    for (let round = 0; round < latencyRounds; round++) {
      const inRound = new Map<string, number[]>();
      for (const target of [direct, ...pairOrder(round, bare, station)]) {
        const values = await latencies(target, latencyRequestsPerRound);
        inRound.set(target.name, values);
        samples.get(target.name)?.push(...values);
      }
      roundP99Differences.push(percentile(inRound.get("station") ?? [], 99) - percentile(inRound.get("bare proxy") ?? [], 99));
    }
    // Rounds interleave the targets and alternate which proxy goes first; the machine's load
    // drifts between rounds, so Station is compared with the bare proxy round by round.
    const rps = new Map<string, Throughput[]>(targets.map((target) => [target.name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const target of [direct, ...pairOrder(round, bare, station)]) rps.get(target.name)?.push(await throughput(target));
    }
    const interleaved = await interleavedLatencies([direct, bare, station], interleavedRequests);
    const streams = new Map<string, { first: number[]; total: number[] }>();
    for (const target of [directSlow, bare, station]) {
      streams.set(target.name, await streaming(target, streamRequests));
    }

    const directSamples = samples.get("direct") ?? [];
    const p50Direct = percentile(directSamples, 50);
    const p99Direct = percentile(directSamples, 99);
    const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;
    console.log("\nlatency at concurrency 1 (non-streamed chat completion; every round's samples together)");
    const added = new Map<string, { p50: number; p99: number }>();
    for (const target of targets) {
      const values = samples.get(target.name) ?? [];
      const p50 = percentile(values, 50);
      const p99 = percentile(values, 99);
      added.set(target.name, { p50: p50 - p50Direct, p99: p99 - p99Direct });
      console.log(
        `  ${target.name.padEnd(11)} p50 ${ms(p50)}  p99 ${ms(p99)}` +
          (target.name === "direct" ? "" : `  added p50 ${signedMs(p50 - p50Direct)}  p99 ${signedMs(p99 - p99Direct)}`),
      );
    }
    console.log(`\nlatency at concurrency 1, requests interleaved one by one (${interleavedRequests} per target)`);
    for (const [name, values] of interleaved) {
      console.log(
        `  ${name.padEnd(11)} p50 ${ms(percentile(values, 50))}  p99 ${ms(percentile(values, 99))}  p99.9 ${ms(percentile(values, 99.9))}`,
      );
    }
    console.log("\nthroughput at concurrency 16 (autocannon, req/s, median of rounds; CPU the target process spent per request)");
    const rpsOf = (name: string): number[] => (rps.get(name) ?? []).map((run) => run.rps);
    const cpuRunsOf = (name: string): (number | undefined)[] => (rps.get(name) ?? []).map((run) => run.cpuPerRequest);
    const directRps = quantile(rpsOf("direct"), 0.5);
    for (const target of targets) {
      const value = quantile(rpsOf(target.name), 0.5);
      const cpu = quantile(
        cpuRunsOf(target.name).filter((value) => value !== undefined),
        0.5,
      );
      console.log(
        `  ${target.name.padEnd(11)} ${value.toFixed(0).padStart(7)} req/s  ${percent(value / directRps)} of direct` +
          (Number.isNaN(cpu) ? "" : `  ${cpu.toFixed(0)} µs CPU/request`),
      );
    }
    console.log("\nstreaming (12 chunks, 5 ms apart): time to first chunk / to last");
    for (const [name, result] of streams) {
      console.log(`  ${name.padEnd(11)} first p50 ${ms(percentile(result.first, 50))}  total p50 ${ms(percentile(result.total, 50))}`);
    }
    const bareAdded = added.get("bare proxy") as { p50: number; p99: number };
    const stationAdded = added.get("station") as { p50: number; p99: number };
    const bareRuns = rpsOf("bare proxy");
    const roundRatios = rpsOf("station").map((value, round) => value / (bareRuns[round] as number));
    const bareCpu = cpuRunsOf("bare proxy");
    const cpuRatios = cpuRunsOf("station")
      .map((value, round) => (value === undefined || bareCpu[round] === undefined ? Number.NaN : value / (bareCpu[round] as number)))
      .filter((ratio) => !Number.isNaN(ratio));
    const stationFirst = percentile(streams.get("station")?.first ?? [], 50);
    const stationTotal = percentile(streams.get("station")?.total ?? [], 50);
    const throughputMedian = quantile(roundRatios, 0.5);
    const p99Over = stationAdded.p99 - bareAdded.p99;
    console.log("\nstation vs bare proxy (each figure Station's over the bare proxy's in the same round; median of the rounds)");
    console.log(`  added p50: ${signedMs(stationAdded.p50 - bareAdded.p50)} over the bare proxy's (target ≤ +0.25 ms)`);
    console.log(
      `  added p99: ${signedMs(p99Over)} over the bare proxy's, all samples (target ≤ +0.5 ms: ${p99Over <= 0.5 ? "met" : "not met"}); ` +
        `per latency round, median ${signedMs(quantile(roundP99Differences, 0.5))} (quartiles ${signedMs(quantile(roundP99Differences, 0.25))} to ${signedMs(quantile(roundP99Differences, 0.75))})`,
    );
    const interleavedOf = (name: string, p: number): number => percentile(interleaved.get(name) ?? [], p);
    const interleavedP99Over = interleavedOf("station", 99) - interleavedOf("bare proxy", 99);
    console.log(
      `  interleaved one by one: added p50 ${signedMs(interleavedOf("station", 50) - interleavedOf("bare proxy", 50))}, ` +
        `added p99 ${signedMs(interleavedP99Over)} over the bare proxy's (${interleavedP99Over <= 0.5 ? "within" : "over"} +0.5 ms; the machine's slow spells fall on both alike)`,
    );
    console.log(
      `  throughput: ${pairedSummary(roundRatios)} (target ≥ 95 %: ${throughputMedian >= 0.95 ? "met" : "not met"}); mean of means ${percent(mean(rpsOf("station")) / mean(bareRuns))}`,
    );
    if (cpuRatios.length > 0) console.log(`  CPU per request: ${pairedSummary(cpuRatios)}`);
    console.log(
      `  streaming: first chunk after ${((stationFirst / stationTotal) * 100).toFixed(1)} % of the stream's duration (buffering would be ~100 %)`,
    );
    const spread = quantile(roundRatios, 0.75) - quantile(roundRatios, 0.25);
    console.log(
      `  judged on the medians above; the quartiles say how far to trust them: ${spread > 0.1 ? `throughput rounds spread ${(spread * 100).toFixed(0)} points between quartiles (a busy machine), so CPU per request is the figure to go by` : "throughput rounds agree within 10 points between quartiles"}`,
    );
    console.log(`  load average at end: ${load()}`);
    if (!skipSurfaces) await benchSurfaces(surfaceOptions);
  } finally {
    for (const child of children) child.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
