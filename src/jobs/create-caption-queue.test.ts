import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eventually, startWebhookReceiver } from "../../test/support/webhook-receiver.ts";
import { parseConfig } from "../config/load-config.ts";
import { createLogger } from "../logging/create-logger.ts";
import { openDatabase, type SqliteDatabase } from "../storage/database.ts";
import { migrate } from "../storage/migrate.ts";
import type { VisionService } from "../vision/vision-service.ts";
import { createCaptionQueue } from "./create-caption-queue.ts";
import { createSqliteQueueBackend } from "./create-sqlite-queue-backend.ts";
import type { QueueBackend } from "./queue-backend.ts";

describe("createCaptionQueue", () => {
  let directory: string;
  let database: SqliteDatabase;

  beforeEach(async () => {
    directory = mkdtempSync(path.join(tmpdir(), "station-caption-queue-"));
    database = openDatabase(path.join(directory, "station.db"));
    await migrate(database);
  });
  afterEach(async () => {
    await database.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it("start: logs a failing first lease sweep and cleanup instead of leaving the rejections unhandled", async () => {
    const real = createSqliteQueueBackend(database.sqlite);
    // The backend's maintenance calls fail (a locked or vanished database); everything else works.
    const backend: QueueBackend = {
      ...real,
      requeueExpired: () => Promise.reject(new Error("database is locked")),
      deleteFinished: () => Promise.reject(new Error("database is locked")),
    };
    const messages: string[] = [];
    let logged: () => void = () => {};
    const bothLogged = new Promise<void>((resolve) => {
      logged = resolve;
    });
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        messages.push((JSON.parse(chunk.toString()) as { msg: string }).msg);
        if (messages.includes("lease sweep failed") && messages.includes("cleanup failed")) logged();
        callback();
      },
    });
    const config = parseConfig({ dataDir: directory, providers: [] }, "test config");
    const queue = createCaptionQueue({
      config,
      backend,
      vision: {} as VisionService,
      webhookSecret: "whsec_dGVzdA==",
      logger: createLogger("error", destination),
      pollIntervalMs: 10_000,
    });
    await queue.start();
    try {
      await bothLogged;
      expect(messages).toEqual(expect.arrayContaining(["lease sweep failed", "cleanup failed"]));
    } finally {
      await queue.stop();
    }
  });

  // A worker that dies on a job's last attempt: the lease sweep (or start-up recovery) fails the
  // job for good, and its receiver is told, as for any other failure.
  for (const path of ["the lease sweep", "start-up recovery"] as const) {
    it(`sends the "failed" webhook once when ${path} fails a job whose worker died on its last attempt`, async () => {
      const receiver = await startWebhookReceiver();
      const backend = createSqliteQueueBackend(database.sqlite);
      const payload = { image: "", mediaType: "image/png", webhookUrl: receiver.url };
      const aMinuteAgo = Date.now() - 60_000;
      await backend.enqueue({ id: "job_dead", queue: "caption", payload, maxAttempts: 1 }, aMinuteAgo);
      // The dead worker's claim: a lease long over for the sweep, a live-looking one for recovery.
      const claimed = await backend.claim("caption", aMinuteAgo, path === "the lease sweep" ? 1 : 3_600_000);
      expect(claimed?.id).toBe("job_dead");
      const config = parseConfig(
        { dataDir: directory, providers: [], webhooks: { baseDelayMs: 10 }, security: { allowPrivateNetworks: true } },
        "test config",
      );
      const queue = createCaptionQueue({
        config,
        backend,
        vision: {} as VisionService,
        webhookSecret: "whsec_dGVzdA==",
        logger: createLogger("error", new Writable({ write: (_chunk, _encoding, callback) => callback() })),
        pollIntervalMs: 20,
      });
      await queue.start({ recoverOrphans: path === "start-up recovery" });
      try {
        const delivery = await eventually(() => receiver.deliveries[0]);
        expect(JSON.parse(delivery.body)).toMatchObject({
          type: "caption.job.failed",
          job_id: "job_dead",
          status: "failed",
          error: { code: "lease_expired" },
        });
        expect(await queue.get("job_dead")).toMatchObject({ status: "failed", webhook: { attempts: [{ ok: true }] } });
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(receiver.deliveries).toHaveLength(1);
      } finally {
        await queue.stop();
        await receiver.close();
      }
    });
  }
});
