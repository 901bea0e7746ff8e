/**
 * Gateway benchmark: direct to a fake upstream, through a bare proxy (the floor for a Node
 * gateway) and through Station, interleaved in one run on this machine.
 *   npm run bench:gateway [-- --quick]
 * Prints added latency (p50/p99 at concurrency 1), throughput at concurrency 16 (autocannon)
 * and streaming time-to-first-chunk, with Station's figures as ratios of the bare proxy's.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { Pool } from "undici";
import { benchSurfaces } from "./surfaces.ts";

const quick = process.argv.includes("--quick");
/** Only the drop-in surfaces against Station's own chat completions (skips direct and the bare proxy). */
const surfacesOnly = process.argv.includes("--surfaces");
const rounds = quick ? 2 : 5;
const latencyRequestsPerRound = quick ? 300 : 1000;
const throughputSeconds = quick ? 2 : 4;
const streamRequests = quick ? 20 : 50;
const children: ChildProcess[] = [];

/** CPU time (user + system) a child has used so far, in µs; undefined where /proc is missing. */
function cpuMicros(pid: number | undefined): number | undefined {
  const file = `/proc/${pid}/stat`;
  if (pid === undefined || !existsSync(file)) return undefined;
  // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100 Hz).
  const fields = readFileSync(file, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

function startChild(
  script: string,
  args: string[],
  options: { tsx: boolean } = { tsx: true },
): Promise<{ port: number; pid: number | undefined }> {
  // Children's stdout goes to /dev/null (Station's request log is written there at full cost, as
  // in production) and never to this process, which also runs the load generator.
  const loader = options.tsx ? ["--import", "tsx"] : [];
  const child = spawn(process.execPath, [...loader, path.join(import.meta.dirname, script), ...args], {
    stdio: ["ignore", "ignore", "inherit", "ipc"],
    // The compiled build runs on plain Node (as `npm start` runs it); the sources through tsx.
    env: { ...process.env, STATION_BENCH_SOURCE: options.tsx ? "1" : "0" },
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.on("message", (message) => {
      const match = /ready (\d+)/.exec(String(message));
      if (match !== null) resolve({ port: Number(match[1]), pid: child.pid });
    });
    child.on("exit", (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

interface Target {
  name: "direct" | "bare proxy" | "station";
  port: number;
  pid?: number | undefined;
  model: string;
  slowModel: string;
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

interface Throughput {
  rps: number;
  /** CPU the target process spent per request, in µs (undefined where it cannot be read). */
  cpuPerRequest: number | undefined;
}

async function throughput(target: Target, seconds = throughputSeconds): Promise<Throughput> {
  const cpuBefore = cpuMicros(target.pid);
  const result = await autocannon({
    url: `http://127.0.0.1:${target.port}/v1/chat/completions`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: body(target.model),
    connections: 16,
    duration: seconds,
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${target.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  const cpuAfter = cpuMicros(target.pid);
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
const ms = (value: number): string => `${value.toFixed(3)} ms`;

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "station-bench-"));
  try {
    const fast = await startChild("upstream-server.ts", ["0", "0"]);
    const slowPort = (await startChild("upstream-server.ts", ["0", "5"])).port;
    const bareProxy = await startChild("bare-proxy.ts", [String(fast.port), String(slowPort)]);
    // Station as `npm start` runs it: the compiled build when there is one (`npm run build`), else the sources.
    const built = existsSync(path.join(import.meta.dirname, "../../dist/station/create-station.js")) && !process.argv.includes("--source");
    console.log(`station: ${built ? "compiled build (dist/, plain node)" : "TypeScript sources through tsx"}`);
    const stationServer = await startChild("station-server.mjs", [String(fast.port), String(slowPort), dataDir], { tsx: !built });
    const targets: Target[] = [
      { name: "direct", ...fast, model: "bench-model", slowModel: "bench-model" },
      { name: "bare proxy", ...bareProxy, model: "fast/bench-model", slowModel: "slow/bench-model" },
      { name: "station", ...stationServer, model: "fast/bench-model", slowModel: "slow/bench-model" },
    ];
    const directSlow: Target = { name: "direct", port: slowPort, model: "bench-model", slowModel: "bench-model" };
    const surfaceOptions = {
      port: stationServer.port,
      model: "fast/bench-model",
      slowModel: "slow/bench-model",
      rounds,
      latencyRequests: latencyRequestsPerRound,
      throughputSeconds,
      streamRequests,
      cpuMicros: () => cpuMicros(stationServer.pid),
    };
    if (surfacesOnly) {
      console.log(`gateway bench (surfaces): ${rounds} interleaved rounds, node ${process.version}${quick ? " (quick)" : ""}`);
      await benchSurfaces(surfaceOptions);
      return;
    }
    console.log(`gateway bench: ${rounds} interleaved rounds, node ${process.version}${quick ? " (quick)" : ""}`);

    for (const target of targets) await latencies(target, 200); // warm-up (JIT, pools)
    const samples = new Map<string, number[]>(targets.map((target) => [target.name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const target of targets) samples.get(target.name)?.push(...(await latencies(target, latencyRequestsPerRound)));
    }
    // Each target gets a short run at full concurrency first, so no round pays for JIT warm-up
    // or pool growth. Rounds interleave the targets; the machine's load drifts between rounds,
    // so Station is compared with the bare proxy round by round (median of the pair ratios).
    for (const target of targets) await throughput(target, 1);
    const rps = new Map<string, Throughput[]>(targets.map((target) => [target.name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const target of targets) rps.get(target.name)?.push(await throughput(target));
    }
    const streams = new Map<string, { first: number[]; total: number[] }>();
    for (const target of [{ ...directSlow }, targets[1] as Target, targets[2] as Target]) {
      streams.set(target.name, await streaming(target, streamRequests));
    }

    const direct = samples.get("direct") ?? [];
    const p50Direct = percentile(direct, 50);
    const p99Direct = percentile(direct, 99);
    const mean = (values: number[]): number => values.reduce((sum, value) => sum + value, 0) / values.length;
    console.log("\nlatency at concurrency 1 (non-streamed chat completion)");
    const added = new Map<string, { p50: number; p99: number }>();
    for (const target of targets) {
      const values = samples.get(target.name) ?? [];
      const p50 = percentile(values, 50);
      const p99 = percentile(values, 99);
      added.set(target.name, { p50: p50 - p50Direct, p99: p99 - p99Direct });
      console.log(
        `  ${target.name.padEnd(11)} p50 ${ms(p50)}  p99 ${ms(p99)}` +
          (target.name === "direct" ? "" : `  added p50 +${ms(p50 - p50Direct)}  p99 +${ms(p99 - p99Direct)}`),
      );
    }
    console.log("\nthroughput at concurrency 16 (autocannon, req/s; CPU the target process spent per request)");
    const rpsOf = (name: string): number[] => (rps.get(name) ?? []).map((run) => run.rps);
    const cpuOf = (name: string): number =>
      mean((rps.get(name) ?? []).map((run) => run.cpuPerRequest).filter((value) => value !== undefined));
    const directRps = mean(rpsOf("direct"));
    for (const target of targets) {
      const value = mean(rpsOf(target.name));
      const cpu = cpuOf(target.name);
      console.log(
        `  ${target.name.padEnd(11)} ${value.toFixed(0).padStart(7)} req/s  ${((value / directRps) * 100).toFixed(1)} % of direct` +
          (Number.isNaN(cpu) ? "" : `  ${cpu.toFixed(0)} µs CPU/request`),
      );
    }
    console.log("\nstreaming (12 chunks, 5 ms apart): time to first chunk / to last");
    for (const [name, result] of streams) {
      console.log(`  ${name.padEnd(11)} first p50 ${ms(percentile(result.first, 50))}  total p50 ${ms(percentile(result.total, 50))}`);
    }
    const bare = added.get("bare proxy") as { p50: number; p99: number };
    const station = added.get("station") as { p50: number; p99: number };
    const bareRuns = rpsOf("bare proxy");
    const stationRuns = rpsOf("station");
    const roundRatios = stationRuns.map((value, round) => value / (bareRuns[round] as number));
    const stationFirst = percentile(streams.get("station")?.first ?? [], 50);
    const stationTotal = percentile(streams.get("station")?.total ?? [], 50);
    console.log("\nstation vs bare proxy");
    console.log(`  added p50: ${(station.p50 - bare.p50).toFixed(3)} ms more than the bare proxy (target ≤ 0.25 ms)`);
    console.log(`  added p99: ${(station.p99 - bare.p99).toFixed(3)} ms more than the bare proxy`);
    console.log(
      `  throughput: ${(percentile(roundRatios, 50) * 100).toFixed(1)} % of the bare proxy, median of ${roundRatios.length} paired rounds ` +
        `(${roundRatios.map((ratio) => `${(ratio * 100).toFixed(0)}`).join(", ")} %; mean of means ${((mean(stationRuns) / mean(bareRuns)) * 100).toFixed(1)} %) (target ≥ 90 %)`,
    );
    const cpuRatio = cpuOf("station") / cpuOf("bare proxy");
    if (!Number.isNaN(cpuRatio)) console.log(`  CPU per request: ${(cpuRatio * 100).toFixed(1)} % of the bare proxy's`);
    console.log(
      `  streaming: first chunk after ${((stationFirst / stationTotal) * 100).toFixed(1)} % of the stream's duration (buffering would be ~100 %)`,
    );
    await benchSurfaces(surfaceOptions);
  } finally {
    for (const child of children) child.kill();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
