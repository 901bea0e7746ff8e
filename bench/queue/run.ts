/**
 * Queue and vision benchmark, all measured in one run on this machine:
 *   npm run bench:queue [-- --quick]
 *  1. floor: a bare SQLite insert → claim → complete loop (no queue code, no HTTP);
 *  2. Station's SQLite queue backend doing a job's full storage work (enqueue with capacity check,
 *     claim, complete + webhook follow-up, claim the delivery, record the attempt, complete it);
 *  3. end-to-end jobs/s: POST /caption/generate (autocannon, 16 connections) → instant provider →
 *     completed → signed webhook delivered to a local receiver, concurrency 16; with the encoding
 *     cache on and off;
 *  4. encoding cache: repeated /v1/query on one 1024×768 photo-like JPEG, cache on vs off, and
 *     the same at the intake level without HTTP.
 */
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import sharp from "sharp";
import { createSqliteQueueBackend } from "../../src/jobs/create-sqlite-queue-backend.ts";
import { openDatabase } from "../../src/storage/database.ts";
import { migrate } from "../../src/storage/migrate.ts";
import { createImageIntake } from "../../src/vision/create-image-intake.ts";
import { benchArguments } from "../bench-arguments.ts";
import { bareSqliteInsertAndClaim } from "./bare-sqlite-floor.ts";
import { benchImageBase64, fmt, startBenchReceiver, startStationServer, stopStationServers } from "./bench-support.ts";

const quick = benchArguments({ quick: { type: "boolean" } }).values.quick === true;
const storageJobs = quick ? 3000 : 10_000;
const endToEndJobs = quick ? 1000 : 3000;
const querySeconds = quick ? 2 : 4;
const intakeRepeats = quick ? 20 : 50;
const workDir = mkdtempSync(path.join(tmpdir(), "station-bench-queue-"));
const children: ChildProcess[] = [];
const rows: [string, string, string][] = [];

async function startStation(name: string, cacheEntries: number): Promise<number> {
  const station = await startStationServer({ dataDir: path.join(workDir, name), cacheEntries });
  children.push(station.child);
  return station.port;
}

async function storageLoop(jobs: number): Promise<number> {
  const database = openDatabase(path.join(workDir, "backend.db"));
  await migrate(database);
  const backend = createSqliteQueueBackend(database.sqlite);
  const started = performance.now();
  for (let index = 0; index < jobs; index++) {
    const now = Date.now();
    await backend.enqueue({ id: `j${index}`, queue: "caption", payload: { prompt: "x" }, maxAttempts: 3 }, now, { capacity: 1_000_000 });
    const job = (await backend.claim("caption", now, 30_000))!;
    await backend.complete(job.id, job.leaseToken, { caption: "x" }, now, [
      { id: `msg_${job.id}`, queue: "webhook", payload: { url: "http://x" }, maxAttempts: 5, parentId: job.id },
    ]);
    const delivery = (await backend.claim("webhook", now, 30_000))!;
    await backend.recordWebhookAttempt({
      jobId: job.id,
      deliveryId: delivery.id,
      attempt: 1,
      url: "http://x",
      attemptedAt: now,
      durationMs: 1,
      statusCode: 200,
      ok: true,
    });
    await backend.complete(delivery.id, delivery.leaseToken, { statusCode: 200 }, now);
  }
  const perSecond = jobs / ((performance.now() - started) / 1000);
  await database.close();
  return perSecond;
}

async function endToEnd(port: number, jobs: number): Promise<{ jobsPerSecond: number; submitPerSecond: number; errors: number }> {
  let delivered = 0;
  let onDelivered: () => void = () => undefined;
  const receiver = await startBenchReceiver(() => {
    delivered++;
    if (delivered >= jobs) onDelivered();
  });
  const image = await benchImageBase64();
  const allDelivered = new Promise<void>((resolve) => {
    onDelivered = resolve;
  });
  const started = performance.now();
  const submitted = await autocannon({
    url: `http://127.0.0.1:${port}/caption/generate`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ image_data: image, webhook_url: receiver.url }),
    connections: 16,
    amount: jobs,
  });
  const submitSeconds = (performance.now() - started) / 1000;
  await allDelivered;
  const seconds = (performance.now() - started) / 1000;
  receiver.close();
  return { jobsPerSecond: jobs / seconds, submitPerSecond: jobs / submitSeconds, errors: submitted.non2xx + submitted.errors };
}

async function photoLikeJpeg(): Promise<Buffer> {
  const noisy = await sharp({
    create: { width: 1024, height: 768, channels: 3, background: "#808080", noise: { type: "gaussian", mean: 128, sigma: 40 } },
  })
    .png()
    .toBuffer();
  return sharp(noisy).blur(1.5).jpeg({ quality: 90 }).toBuffer();
}

async function queryRate(port: number, dataUrl: string): Promise<number> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/v1/query`,
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ image_url: dataUrl, question: "What is in the picture?" }),
    connections: 4,
    duration: querySeconds,
  });
  if (result.non2xx > 0) throw new Error(`/v1/query answered ${result.non2xx} non-2xx`);
  return result.requests.average;
}

async function intakeMsPerCall(cacheEntries: number, dataUrl: string): Promise<number> {
  const intake = createImageIntake({
    vision: { maxImageBytes: 20 * 1024 * 1024, maxPixels: 50_000_000, fetchTimeoutMs: 5000, cacheEntries },
    allowPrivateNetworks: false,
  });
  await intake.fromReference(dataUrl);
  const started = performance.now();
  for (let index = 0; index < intakeRepeats; index++) await intake.fromReference(dataUrl);
  const perCall = (performance.now() - started) / intakeRepeats;
  await intake.close();
  return perCall;
}

try {
  const floor = bareSqliteInsertAndClaim(path.join(workDir, "floor.db"), storageJobs);
  rows.push(["floor: bare SQLite insert+claim+complete", `${fmt(floor)} jobs/s`, "1.00× (baseline)"]);
  const storage = await storageLoop(storageJobs);
  rows.push(["Station SQLite backend, full job + webhook storage", `${fmt(storage)} jobs/s`, `${fmt(storage / floor, 2)}× floor`]);

  const [cachedPort, uncachedPort] = [await startStation("cached", 64), await startStation("uncached", 0)];
  const warm = await endToEnd(cachedPort, 100);
  void warm;
  const e2e = await endToEnd(cachedPort, endToEndJobs);
  rows.push([
    `end-to-end submit→completed→webhook, ${endToEndJobs} jobs, c=16 (cache on)`,
    `${fmt(e2e.jobsPerSecond)} jobs/s`,
    `${fmt(e2e.jobsPerSecond / floor, 3)}× floor; submit ${fmt(e2e.submitPerSecond)}/s; errors ${e2e.errors}`,
  ]);
  await endToEnd(uncachedPort, 100);
  const e2eCold = await endToEnd(uncachedPort, endToEndJobs);
  rows.push([
    `end-to-end, ${endToEndJobs} jobs, c=16 (cache off)`,
    `${fmt(e2eCold.jobsPerSecond)} jobs/s`,
    `${fmt(e2eCold.jobsPerSecond / e2e.jobsPerSecond, 2)}× cache on; errors ${e2eCold.errors}`,
  ]);

  const photo = await photoLikeJpeg();
  const dataUrl = `data:image/jpeg;base64,${photo.toString("base64")}`;
  await queryRate(cachedPort, dataUrl);
  const cachedQueries = await queryRate(cachedPort, dataUrl);
  const uncachedQueries = await queryRate(uncachedPort, dataUrl);
  rows.push([
    `/v1/query, same 1024×768 JPEG (${fmt(photo.length / 1024)} KiB), cache off`,
    `${fmt(uncachedQueries)} req/s`,
    "1.00× (baseline)",
  ]);
  rows.push(["/v1/query, same image, cache on", `${fmt(cachedQueries)} req/s`, `${fmt(cachedQueries / uncachedQueries, 2)}× cache off`]);
  const intakeCold = await intakeMsPerCall(0, dataUrl);
  const intakeWarm = await intakeMsPerCall(64, dataUrl);
  rows.push(["image intake per call, cache off (decode+orient+encode)", `${fmt(intakeCold, 2)} ms`, "1.00× (baseline)"]);
  rows.push(["image intake per call, cache on (hash + lookup)", `${fmt(intakeWarm, 2)} ms`, `${fmt(intakeCold / intakeWarm, 1)}× faster`]);

  const width = Math.max(...rows.map((row) => row[0].length));
  console.log(`\nbench:queue (${quick ? "quick" : "full"}) on ${process.platform}/${process.arch}, node ${process.version}\n`);
  for (const [name, value, ratio] of rows) console.log(`${name.padEnd(width)}  ${value.padStart(16)}  ${ratio}`);
} finally {
  await stopStationServers(children);
  rmSync(workDir, { recursive: true, force: true });
}
