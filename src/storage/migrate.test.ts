import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Kysely, Migration } from "kysely";
import { describe, expect, it } from "vitest";
import { openDatabase } from "./database.ts";
import { migrate } from "./migrate.ts";
import { migrations } from "./migrations/index.ts";

// biome-ignore lint/suspicious/noExplicitAny: test schema
type AnyDb = Kysely<any>;

describe("migrate", () => {
  it("upgrades a database from an older schema version without losing rows", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "station-migrate-")), "station.db");
    const versionOne: Record<string, Migration> = {
      "0001-notes": {
        async up(db: AnyDb) {
          await db.schema
            .createTable("notes")
            .addColumn("id", "integer", (c) => c.primaryKey())
            .addColumn("body", "text")
            .execute();
        },
      },
    };
    const older = openDatabase(file);
    expect(await migrate(older, { migrations: versionOne })).toEqual(["0001-notes"]);
    await (older.kysely as unknown as AnyDb)
      .insertInto("notes")
      .values([
        { id: 1, body: "first" },
        { id: 2, body: "second" },
      ])
      .execute();
    await older.close();

    const versionTwo: Record<string, Migration> = {
      ...versionOne,
      "0002-notes-pinned": {
        async up(db: AnyDb) {
          await db.schema
            .alterTable("notes")
            .addColumn("pinned", "integer", (c) => c.notNull().defaultTo(0))
            .execute();
        },
      },
    };
    const newer = openDatabase(file);
    expect(await migrate(newer, { migrations: versionTwo })).toEqual(["0002-notes-pinned"]);
    expect(await (newer.kysely as unknown as AnyDb).selectFrom("notes").selectAll().orderBy("id").execute()).toEqual([
      { id: 1, body: "first", pinned: 0 },
      { id: 2, body: "second", pinned: 0 },
    ]);
    expect(await migrate(newer, { migrations: versionTwo })).toEqual([]);
    await newer.close();
  });

  it("runs Station's own migrations from the first version to the latest, keeping rows", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "station-migrate-")), "station.db");
    const names = Object.keys(migrations).sort();
    const database = openDatabase(file);
    await migrate(database, { target: names[0] });
    await database.kysely.insertInto("meta").values({ key: "installed", value: "yes", updated_at: 1 }).execute();
    await migrate(database);
    expect(await database.kysely.selectFrom("meta").selectAll().execute()).toEqual([{ key: "installed", value: "yes", updated_at: 1 }]);
    expect(database.sqlite.pragma("journal_mode", { simple: true })).toBe("wal");
    await database.close();
  });

  it("reports which migration failed", async () => {
    const database = openDatabase(":memory:");
    const broken: Record<string, Migration> = {
      "0001-broken": {
        async up(db: AnyDb) {
          await db.schema.createTable("meta").addColumn("x", "text").execute();
          await db.schema.createTable("meta").addColumn("x", "text").execute();
        },
      },
    };
    await expect(migrate(database, { migrations: broken })).rejects.toThrow(/0001-broken/);
    await database.close();
  });
});
