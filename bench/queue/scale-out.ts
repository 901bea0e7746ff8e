/**
 * Shared-backend bench (issue 14), all in one run: the same batch of caption jobs (instant vision
 * provider, signed webhook to a local receiver) on
 *   (a) SQLite embedded, (b) one instance on PostgreSQL + BullMQ, (c) two instances on them;
 * jobs/s, submit→webhook latency p50/p99, errors / lost jobs, and CPU time per job from
 * /proc/<pid>/stat (utime+stime) summed over the Station process(es), redis-server and every
 * postgres process. On a 2-core machine the instances compete, so CPU per job is the figure to
 * judge: target (b), (c) ≤ 2× (a).
 *   node --import tsx bench/queue/scale-out.ts [--jobs N]
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import sharp from "sharp";

const jobsFlag = process.argv.indexOf("--jobs");
const jobs = jobsFlag >= 0 ? Number(process.argv[jobsFlag + 1]) : 600;
const connections = 16;
const profileFlag = process.argv.indexOf("--cpu-prof");
const profileDir = profileFlag >= 0 ? path.resolve(process.argv[profileFlag + 1] ?? "cpu-profiles") : undefined;
const postgresServer = process.env.STATION_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432";
const redisUrl = process.env.STATION_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
const workDir = mkdtempSync(path.join(tmpdir(), "station-bench-scale-"));
const children: ChildProcess[] = [];
const fmt = (value: number, digits = 0): string =>
  value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

function startStation(name: string, extra: object): Promise<{ port: number; pid: number }> {
  const child = spawn(
    process.execPath,
    [
      ...(profileDir === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", profileDir]),
      "--import",
      "tsx",
      path.join(import.meta.dirname, "station-server.ts"),
      path.join(workDir, name),
      "64",
      JSON.stringify(extra),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  children.push(child);
  return new Promise((resolve, reject) => {
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /ready (\d+)/.exec(output);
      if (match !== null) {
        child.stdout?.removeAllListeners("data");
        child.stdout?.resume();
        resolve({ port: Number(match[1]), pid: child.pid as number });
      }
    });
    child.on("exit", (code) => reject(new Error(`station-server exited with ${code}`)));
  });
}

async function stopStations(): Promise<void> {
  await Promise.all(
    children.splice(0).map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.removeAllListeners("exit");
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
        }),
    ),
  );
}

/** CPU seconds (utime+stime) of each pid now; a pid gone since is simply absent. */
function cpuSeconds(pids: number[]): Map<number, number> {
  const result = new Map<number, number>();
  for (const pid of pids) {
    try {
      // The command name (field 2) may hold spaces: split after its closing parenthesis.
      const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
      result.set(pid, (Number(fields[11]) + Number(fields[12])) / ticksPerSecond);
    } catch {
      // exited
    }
  }
  return result;
}

function servicePids(): number[] {
  const pgrep = (name: string) => {
    try {
      return execFileSync("pgrep", ["-x", name]).toString().trim().split("\n").filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  return [...pgrep("redis-server"), ...pgrep("postgres")];
}

/** CPU spent between two snapshots; pids born in between count from zero. */
function spent(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

interface Outcome {
  jobsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  lost: number;
  stationCpu: number;
  servicesCpu: number;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;

async function batch(ports: number[], stationPids: number[], count: number): Promise<Outcome> {
  const started = new Map<string, number>();
  const arrived = new Map<string, number>();
  let expected = count;
  let onAll: () => void = () => undefined;
  const allArrived = new Promise<void>((resolve) => {
    onAll = resolve;
  });
  const receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const at = performance.now();
      response.end("ok");
      const body = JSON.parse(Buffer.concat(chunks).toString()) as { job_id?: string };
      if (body.job_id !== undefined && !arrived.has(body.job_id)) arrived.set(body.job_id, at);
      if (arrived.size >= expected) onAll();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  const image = (
    await sharp({ create: { width: 64, height: 64, channels: 3, background: { r: 90, g: 10, b: 200 } } })
      .png()
      .toBuffer()
  ).toString("base64");
  const body = JSON.stringify({ image_data: image, webhook_url: hookUrl });
  const pids = [...stationPids, ...servicePids()];
  const stationBefore = cpuSeconds(stationPids);
  const servicesBefore = cpuSeconds(pids.filter((pid) => !stationPids.includes(pid)));
  const begin = performance.now();
  let next = 0;
  let errors = 0;
  const reasons = new Map<string, number>();
  const failed = (reason: string) => {
    errors++;
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  };
  const submitter = async () => {
    while (next < count) {
      const index = next++;
      const t0 = performance.now();
      try {
        const response = await fetch(`http://127.0.0.1:${ports[index % ports.length]}/caption/generate`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
        const job = (await response.json()) as { job_id?: string; error?: { code?: string } };
        if (response.status !== 202 || job.job_id === undefined) failed(`HTTP ${response.status} ${job.error?.code ?? ""}`);
        else started.set(job.job_id, t0);
      } catch (error) {
        failed((error as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, submitter));
  expected = count - errors;
  if (errors > 0) console.error(`submissions that failed: ${JSON.stringify(Object.fromEntries(reasons))}`);
  if (arrived.size < expected) {
    await Promise.race([allArrived, new Promise((resolve) => setTimeout(resolve, 60_000))]);
  }
  const seconds = (performance.now() - begin) / 1000;
  const stationAfter = cpuSeconds(stationPids);
  const servicesAfter = cpuSeconds([...new Set([...servicePids(), ...servicesBefore.keys()])]);
  receiver.closeAllConnections();
  receiver.close();
  const latencies = [...started].flatMap(([id, t0]) => (arrived.has(id) ? [(arrived.get(id) as number) - t0] : [])).sort((x, y) => x - y);
  return {
    jobsPerSecond: latencies.length / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
    lost: started.size - latencies.length,
    stationCpu: spent(stationBefore, stationAfter),
    servicesCpu: spent(servicesBefore, servicesAfter),
  };
}

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${postgresServer}/postgres` });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

async function cleanRedis(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = "0";
    do {
      const [nextCursor, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
      cursor = nextCursor;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

async function variant(name: string, instances: number, shared: boolean): Promise<Outcome> {
  const database = `station_bench_${randomBytes(5).toString("hex")}`;
  const prefix = `station-bench-${randomBytes(5).toString("hex")}`;
  if (shared) await admin(`CREATE DATABASE ${database}`);
  try {
    const extra = shared
      ? {
          storage: { backend: "postgres", url: `${postgresServer}/${database}`, poolSize: 10 },
          queue: { backend: "bullmq", redisUrl, prefix },
        }
      : {};
    const started = [];
    for (let index = 0; index < instances; index++) started.push(await startStation(`${name}-${index}`, extra));
    const ports = started.map((station) => station.port);
    const pids = started.map((station) => station.pid);
    await batch(ports, pids, 50); // warm-up: connections, JIT, BullMQ scripts
    return await batch(ports, pids, jobs);
  } finally {
    await stopStations();
    if (shared) {
      await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await cleanRedis(prefix);
    }
  }
}

const variantsFlag = process.argv.indexOf("--variants");
const chosen = variantsFlag >= 0 ? (process.argv[variantsFlag + 1] ?? "") : "abc";
try {
  const results: [string, Outcome][] = [];
  results.push(["(a) SQLite embedded, 1 instance", await variant("sqlite", 1, false)]);
  if (chosen.includes("b")) results.push(["(b) PostgreSQL + BullMQ, 1 instance", await variant("shared1", 1, true)]);
  if (chosen.includes("c")) results.push(["(c) PostgreSQL + BullMQ, 2 instances", await variant("shared2", 2, true)]);
  const baseline = results[0]![1];
  const baselineCpu = baseline.stationCpu / jobs;
  console.log(`\nbench:queue scale-out, ${jobs} caption jobs, ${connections} submitters, node ${process.version}`);
  console.log("CPU/job = Station process(es) + redis-server + all postgres processes (utime+stime);");
  console.log("(a)'s redis+postgres CPU is other activity on the server, shown but not counted in its baseline.\n");
  for (const [name, outcome] of results) {
    const isBaseline = outcome === baseline;
    const cpuPerJob = (outcome.stationCpu + (isBaseline ? 0 : outcome.servicesCpu)) / jobs;
    console.log(
      `${name.padEnd(38)} ${fmt(outcome.jobsPerSecond).padStart(6)} jobs/s  p50 ${fmt(outcome.p50, 1).padStart(7)} ms  p99 ${fmt(outcome.p99, 1).padStart(7)} ms  errors ${outcome.errors} lost ${outcome.lost}  ` +
        `CPU/job ${fmt(cpuPerJob * 1000, 2)} ms (station ${fmt((outcome.stationCpu / jobs) * 1000, 2)}, redis+pg ${fmt((outcome.servicesCpu / jobs) * 1000, 2)})  ` +
        (isBaseline
          ? "1.00× (baseline)"
          : `${fmt(cpuPerJob / baselineCpu, 2)}× (a), target ≤ 2×: ${cpuPerJob / baselineCpu <= 2 ? "met" : "NOT met"}`),
    );
  }
} finally {
  await stopStations();
  rmSync(workDir, { recursive: true, force: true });
}
