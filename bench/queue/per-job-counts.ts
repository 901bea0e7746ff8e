/**
 * What one caption job (with its signed webhook) costs in Redis calls, on one Station instance
 * on PostgreSQL + BullMQ: Redis's MONITOR, on a prefix of this run's own, sees every command the
 * instance sends; BullMQ's and Station's scripts are named from their SHA-1. Calls made inside a
 * script are not round trips and are left out. The batch is measured after a warm-up batch.
 * With --instances N, N instances share the database and prefix, submissions spread over them
 * as bench:scale-out does (job i to instance i mod N); calls are also counted per instance.
 *   node --import tsx bench/queue/per-job-counts.ts [--jobs N] [--instances N]
 */
import type { ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import pg from "pg";
import * as stationScripts from "../../src/jobs/bullmq-station-scripts.ts";
import { benchArguments, numberOption } from "../bench-arguments.ts";
import { benchImageBase64, startBenchReceiver, startStationServer, stopStationServers } from "./bench-support.ts";

const { values } = benchArguments({ jobs: { type: "string", default: "200" }, instances: { type: "string", default: "1" } });
const jobs = numberOption(values.jobs, "--jobs");
const instances = numberOption(values.instances, "--instances");
const postgresServer = process.env.STATION_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432";
const redisUrl = process.env.STATION_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";
const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

/** Script names by SHA-1: BullMQ's (as its connection defines them) and Station's own. */
function scriptNames(): Map<string, string> {
  const require = createRequire(import.meta.url);
  const bullmqScripts = require(path.join(path.dirname(require.resolve("bullmq")), "scripts/index.js")) as Record<
    string,
    { name: string; content: string }
  >;
  const names = new Map<string, string>();
  for (const script of Object.values(bullmqScripts)) names.set(sha1(script.content), `bullmq:${script.name}`);
  for (const [name, lua] of Object.entries(stationScripts)) names.set(sha1(lua), `station:${name}`);
  return names;
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

/** Submits `count` caption jobs with a webhook (16 at a time) and waits for every webhook. */
async function batch(ports: number[], count: number): Promise<void> {
  let arrived = 0;
  let onAll: () => void = () => undefined;
  const all = new Promise<void>((resolve) => {
    onAll = resolve;
  });
  const receiver = await startBenchReceiver(() => {
    if (++arrived >= count) onAll();
  });
  const body = JSON.stringify({ image_data: await benchImageBase64(), webhook_url: receiver.url });
  let next = 0;
  const submitter = async () => {
    while (next < count) {
      const port = ports[next++ % ports.length];
      const response = await fetch(`http://127.0.0.1:${port}/caption/generate`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      if (response.status !== 202) throw new Error(`submission answered ${response.status}: ${await response.text()}`);
      await response.arrayBuffer().catch(() => undefined);
    }
  };
  await Promise.all(Array.from({ length: 16 }, submitter));
  await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 60_000))]);
  receiver.close();
  if (arrived < count) throw new Error(`only ${arrived} of ${count} webhooks arrived`);
}

const database = `station_bench_${randomBytes(5).toString("hex")}`;
const prefix = `station-count-${randomBytes(5).toString("hex")}`;
const workDir = mkdtempSync(path.join(tmpdir(), "station-bench-counts-"));
const children: ChildProcess[] = [];
await admin(`CREATE DATABASE ${database}`);
const monitorClient = new Redis(redisUrl);
try {
  const ports: number[] = [];
  for (let instance = 0; instance < instances; instance++) {
    const station = await startStationServer({
      dataDir: path.join(workDir, String(instance)),
      cacheEntries: 64,
      extra: {
        storage: { backend: "postgres", url: `${postgresServer}/${database}`, poolSize: 10 },
        queue: { backend: "bullmq", redisUrl, prefix },
      },
    });
    children.push(station.child);
    ports.push(station.port);
  }
  await batch(ports, 50 * instances);
  const names = scriptNames();
  const counts = new Map<string, number>();
  const monitor = await monitorClient.monitor();
  monitor.on("monitor", (_time: string, args: string[], source: string) => {
    if (source === "lua" || !args.some((arg) => arg.startsWith(prefix))) return;
    const command = args[0]?.toLowerCase() ?? "?";
    const name = command === "evalsha" ? (names.get(args[1] ?? "") ?? `evalsha ${args[1]}`) : command;
    counts.set(name, (counts.get(name) ?? 0) + 1);
  });
  await batch(ports, jobs);
  // Settling calls after the last webhook (its completion, the lease sweep's turn) still count.
  await new Promise((resolve) => setTimeout(resolve, 500));
  monitor.disconnect();
  const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
  console.log(
    `per-job-counts: ${jobs} caption jobs with a webhook, ${instances === 1 ? "one instance" : `${instances} instances`} on PostgreSQL + BullMQ, Redis calls (MONITOR)`,
  );
  for (const [name, count] of [...counts].sort((a, b) => b[1] - a[1])) {
    console.log(`${name.padEnd(40)} ${String(count).padStart(6)}  ${(count / jobs).toFixed(2)} per job`);
  }
  console.log(`${"total".padEnd(40)} ${String(total).padStart(6)}  ${(total / jobs).toFixed(2)} per job`);
} finally {
  await stopStationServers(children);
  monitorClient.disconnect();
  await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  const redis = new Redis(redisUrl);
  let cursor = "0";
  do {
    const [nextCursor, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = nextCursor;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== "0");
  redis.disconnect();
  rmSync(workDir, { recursive: true, force: true });
}
