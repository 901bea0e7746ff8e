/**
 * Shared-backend bench (issue 14), all in one run, variants interleaved round by round:
 *   (a) SQLite embedded, (b) one instance on PostgreSQL + BullMQ, (c) two instances on them.
 * Per variant: a batch of caption jobs (instant vision provider, signed webhook to a local
 * receiver): jobs/s, submit→webhook p50/p99, errors / lost jobs; then chat turns in sessions
 * (instant scripted model, each session's turns in order, spread over the instances): turns/s.
 * Both with CPU time from /proc/<pid>/stat (utime+stime) summed over the Station process(es),
 * redis-server and every postgres process. On a 2-core machine the instances compete, so CPU
 * per job is the figure to judge: target (b), (c) ≤ 2× (a). Medians over the rounds.
 * Each instance first runs a warm-up batch (--warmup-jobs, --warmup-turns), not measured: a
 * process's first jobs pay its JIT, connections and script loads, which are no per-job cost.
 *   npm run bench:scale-out [-- --jobs N --turns N --rounds N --variants abc --cpu-prof DIR
 *                              --warmup-jobs N --warmup-turns N]
 * bench/queue/per-job-counts.ts counts the Redis calls a caption job makes.
 */
import type { ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import { percentile } from "../../src/jobs/percentile.ts";
import { benchArguments, numberOption } from "../bench-arguments.ts";
import { benchImageBase64, fmt, startBenchReceiver, startStationServer, stopStationServers } from "./bench-support.ts";

const { values } = benchArguments({
  jobs: { type: "string", default: "600" },
  turns: { type: "string", default: "240" },
  "warmup-jobs": { type: "string", default: "300" },
  "warmup-turns": { type: "string", default: "48" },
  rounds: { type: "string", default: "1" },
  variants: { type: "string", default: "abc" },
  "cpu-prof": { type: "string" },
});
const jobs = numberOption(values.jobs, "--jobs");
const turns = numberOption(values.turns, "--turns");
const warmupJobs = numberOption(values["warmup-jobs"], "--warmup-jobs");
const warmupTurns = numberOption(values["warmup-turns"], "--warmup-turns");
const rounds = numberOption(values.rounds, "--rounds");
const chosen = values.variants;
const profileDir = values["cpu-prof"] === undefined ? undefined : path.resolve(values["cpu-prof"]);
const connections = 16;
const sessions = 8;
const postgresServer = process.env.STATION_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432";
const redisUrl = process.env.STATION_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
const workDir = mkdtempSync(path.join(tmpdir(), "station-bench-scale-"));
const children: ChildProcess[] = [];

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

/**
 * redis-server and the postgres processes that serve this variant: the server's own (writer,
 * checkpointer, WAL writer...) and the backends connected to `database`. Backends of other
 * databases are other work on the shared server (tests of other sessions), left out.
 */
function servicePids(database: string | undefined): number[] {
  const pgrep = (name: string) => {
    try {
      return execFileSync("pgrep", ["-x", name]).toString().trim().split("\n").filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const ours = (pid: number): boolean => {
    try {
      // A backend's title: "postgres: [<cluster>: ]<user> <database> <host>(<port>) <state>".
      const title = readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
      const backend = /^postgres: (?:\S+: )?\S+ (\S+) (\d[\d.]*|\[local\]|[\da-f:]+)(\(\d+\))? /.exec(title);
      return backend === null || backend[1] === database;
    } catch {
      return false;
    }
  };
  return [...pgrep("redis-server"), ...pgrep("postgres").filter(ours)];
}

/** CPU spent between two snapshots; pids born in between count from zero. */
function spent(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
}

/** Measures `run` (which does `count` units of work): Station and services CPU per unit, in ms. */
async function measured<T>(
  stationPids: number[],
  database: string | undefined,
  count: number,
  run: () => Promise<T>,
): Promise<T & { stationMs: number; servicesMs: number }> {
  const stationBefore = cpuSeconds(stationPids);
  const servicesBefore = cpuSeconds(servicePids(database));
  const outcome = await run();
  const stationAfter = cpuSeconds(stationPids);
  const servicesAfter = cpuSeconds([...new Set([...servicePids(database), ...servicesBefore.keys()])]);
  return {
    ...outcome,
    stationMs: (spent(stationBefore, stationAfter) / count) * 1000,
    servicesMs: (spent(servicesBefore, servicesAfter) / count) * 1000,
  };
}

interface CaptionOutcome {
  jobsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
  lost: number;
}

async function captionBatch(ports: number[], count: number): Promise<CaptionOutcome> {
  const started = new Map<string, number>();
  const arrived = new Map<string, number>();
  let expected = count;
  let onAll: () => void = () => undefined;
  const allArrived = new Promise<void>((resolve) => {
    onAll = resolve;
  });
  const receiver = await startBenchReceiver((body, at) => {
    const id = (JSON.parse(body.toString()) as { job_id?: string }).job_id;
    if (id !== undefined && !arrived.has(id)) arrived.set(id, at);
    if (arrived.size >= expected) onAll();
  });
  const body = JSON.stringify({ image_data: await benchImageBase64(), webhook_url: receiver.url });
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
  if (arrived.size < expected) await Promise.race([allArrived, new Promise((resolve) => setTimeout(resolve, 60_000))]);
  const seconds = (performance.now() - begin) / 1000;
  receiver.close();
  const latencies = [...started].flatMap(([id, t0]) => (arrived.has(id) ? [(arrived.get(id) as number) - t0] : []));
  return {
    jobsPerSecond: latencies.length / seconds,
    p50: percentile(latencies, 0.5) ?? Number.NaN,
    p99: percentile(latencies, 0.99) ?? Number.NaN,
    errors,
    lost: started.size - latencies.length,
  };
}

/** `count` chat turns in `sessions` sessions, each session's turns one after another, turn i on instance i mod n. */
async function chatBatch(ports: number[], count: number): Promise<{ turnsPerSecond: number; errors: number }> {
  let errors = 0;
  const perSession = Math.ceil(count / sessions);
  const begin = performance.now();
  let done = 0;
  await Promise.all(
    Array.from({ length: sessions }, async (_, session) => {
      let sessionId: string | undefined;
      for (let turn = 0; turn < perSession; turn++) {
        const port = ports[(session + turn) % ports.length];
        const response = await fetch(`http://127.0.0.1:${port}/api/chat/stream`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            client_id: `bench-${session}`,
            message: `turn ${turn}`,
            ...(sessionId === undefined ? {} : { session_id: sessionId }),
          }),
        });
        const text = await response.text();
        if (response.status !== 200 || !text.includes("event: done")) {
          errors++;
          continue;
        }
        sessionId ??= /"session_id":"([^"]+)"/.exec(text)?.[1];
        done++;
      }
    }),
  );
  return { turnsPerSecond: done / ((performance.now() - begin) / 1000), errors };
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

type Outcome = CaptionOutcome & {
  stationMs: number;
  servicesMs: number;
  chat: { turnsPerSecond: number; errors: number; stationMs: number; servicesMs: number };
};

async function variant(name: string, instances: number, shared: boolean, round: number): Promise<Outcome> {
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
    for (let index = 0; index < instances; index++) {
      const station = await startStationServer({
        dataDir: path.join(workDir, `${name}-${round}-${index}`),
        cacheEntries: 64,
        extra,
        ...(profileDir === undefined ? {} : { nodeArgs: ["--cpu-prof", "--cpu-prof-dir", profileDir] }),
      });
      children.push(station.child);
      started.push(station);
    }
    const ports = started.map((station) => station.port);
    const pids = started.map((station) => station.pid);
    // Warm-up, per instance (every instance takes its share): connections, JIT, BullMQ's scripts.
    if (warmupJobs > 0) await captionBatch(ports, warmupJobs * instances);
    if (warmupTurns > 0) await chatBatch(ports, warmupTurns * instances);
    const captions = await measured(pids, shared ? database : undefined, jobs, () => captionBatch(ports, jobs));
    const chat = await measured(pids, shared ? database : undefined, turns, () => chatBatch(ports, turns));
    return { ...captions, chat };
  } finally {
    await stopStationServers(children);
    if (shared) {
      await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      await cleanRedis(prefix);
    }
  }
}

const variants = [
  { key: "a", name: "(a) SQLite embedded, 1 instance", id: "sqlite", instances: 1, shared: false },
  { key: "b", name: "(b) PostgreSQL + BullMQ, 1 instance", id: "shared1", instances: 1, shared: true },
  { key: "c", name: "(c) PostgreSQL + BullMQ, 2 instances", id: "shared2", instances: 2, shared: true },
].filter((entry) => entry.key === "a" || chosen.includes(entry.key));

try {
  const results = new Map<string, Outcome[]>(variants.map((entry) => [entry.key, []]));
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  for (let round = 0; round < rounds; round++) {
    for (const entry of variants) results.get(entry.key)?.push(await variant(entry.id, entry.instances, entry.shared, round));
    // Each round's own ratios: the variants of one round ran minutes apart, under much the same load.
    const ofRound = (key: string, pick: (outcome: Outcome) => number) => pick(results.get(key)![round]!);
    const base = ofRound("a", (o) => o.stationMs);
    const baseChat = ofRound("a", (o) => o.chat.stationMs);
    console.log(
      `round ${round + 1} (load ${readFileSync("/proc/loadavg", "utf8").split(" ")[0]}): ` +
        variants
          .map(
            (entry) =>
              `${entry.key} ${fmt(ofRound(entry.key, (o) => o.stationMs + (entry.key === "a" ? 0 : o.servicesMs)) / base, 2)}× ` +
              `(chat ${fmt(ofRound(entry.key, (o) => o.chat.stationMs + (entry.key === "a" ? 0 : o.chat.servicesMs)) / baseChat, 2)}×)`,
          )
          .join(", "),
    );
  }
  const median = (key: string, pick: (outcome: Outcome) => number): number => percentile(results.get(key)!.map(pick), 0.5)!;
  // (a) runs no Redis or PostgreSQL: what they spent meanwhile was other activity, not counted.
  const cpu = (key: string) => median(key, (outcome) => outcome.stationMs + (key === "a" ? 0 : outcome.servicesMs));
  const chatCpu = (key: string) => median(key, (outcome) => outcome.chat.stationMs + (key === "a" ? 0 : outcome.chat.servicesMs));
  const endLoad = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(
    `\nbench:scale-out, ${jobs} caption jobs (${connections} submitters) and ${turns} chat turns (${sessions} sessions) per variant, ` +
      `after ${warmupJobs} jobs and ${warmupTurns} turns of warm-up per instance, ` +
      `${rounds} interleaved round(s), medians; node ${process.version}; load average ${load} at the start, ${endLoad} at the end`,
  );
  console.log("CPU = Station process(es) + redis-server + all postgres processes (utime+stime); (a) counts Station only.\n");
  for (const entry of variants) {
    const all = results.get(entry.key)!;
    const ratio = cpu(entry.key) / cpu("a");
    console.log(
      `${entry.name.padEnd(38)} captions ${fmt(median(entry.key, (o) => o.jobsPerSecond)).padStart(5)} jobs/s  ` +
        `p50 ${fmt(
          median(entry.key, (o) => o.p50),
          1,
        ).padStart(7)} ms  p99 ${fmt(
          median(entry.key, (o) => o.p99),
          1,
        ).padStart(7)} ms  ` +
        `errors ${all.reduce((sum, o) => sum + o.errors, 0)} lost ${all.reduce((sum, o) => sum + o.lost, 0)}  ` +
        `CPU/job ${fmt(cpu(entry.key), 2)} ms (station ${fmt(
          median(entry.key, (o) => o.stationMs),
          2,
        )}, redis+pg ${fmt(
          median(entry.key, (o) => o.servicesMs),
          2,
        )})  ` +
        (entry.key === "a" ? "1.00× (baseline)" : `${fmt(ratio, 2)}× (a), target ≤ 2×: ${ratio <= 2 ? "met" : "NOT met"}`),
    );
    console.log(
      `${"".padEnd(38)} chat     ${fmt(median(entry.key, (o) => o.chat.turnsPerSecond)).padStart(5)} turns/s ` +
        `(${fmt(median(entry.key, (o) => o.chat.turnsPerSecond) / median("a", (o) => o.chat.turnsPerSecond), 2)}× (a))  ` +
        `errors ${all.reduce((sum, o) => sum + o.chat.errors, 0)}  CPU/turn ${fmt(chatCpu(entry.key), 2)} ms ` +
        `(${fmt(chatCpu(entry.key) / chatCpu("a"), 2)}× (a))`,
    );
  }
} finally {
  await stopStationServers(children);
  rmSync(workDir, { recursive: true, force: true });
}
