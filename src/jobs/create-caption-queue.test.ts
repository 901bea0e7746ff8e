import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseConfig } from "../config/load-config.ts";
import { createLogger } from "../logging/create-logger.ts";
import { openDatabase, type SqliteDatabase } from "../storage/database.ts";
import { migrate } from "../storage/migrate.ts";
import type { VisionService } from "../vision/vision-service.ts";
import { createCaptionQueue } from "./create-caption-queue.ts";
import { createSqliteQueueBackend } from "./create-sqlite-queue-backend.ts";
import type { QueueBackend } from "./queue-backend.ts";

describe("createCaptionQueue start", () => {
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

  it("logs a failing first lease sweep and cleanup instead of leaving the rejections unhandled", async () => {
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
});
