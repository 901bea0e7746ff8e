import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const sourceRoot = path.resolve(import.meta.dirname, "..");
const thisModule = path.join(sourceRoot, "storage", "kysely.ts");

function sources(): string[] {
  return readdirSync(sourceRoot, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts"))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

describe("Kysely's one build", () => {
  it("every value from Kysely comes through src/storage/kysely.ts (its CommonJS build); elsewhere only types", () => {
    const files = sources();
    expect(files).toContain(thisModule);
    const offenders = files
      .filter((file) => file !== thisModule)
      .flatMap((file) =>
        [...readFileSync(file, "utf8").matchAll(/^import\s+(?!type\b)[^;]*?from\s+"kysely"|import\("kysely"\)/gm)].map(
          (match) => `${path.relative(sourceRoot, file)}: ${match[0]}`,
        ),
      );
    expect(offenders).toEqual([]);
  });

  it("hands out the CommonJS build's classes", async () => {
    const { Kysely, SqliteDialect, sql } = await import("./kysely.ts");
    const { createRequire } = await import("node:module");
    const commonJs = createRequire(import.meta.url)("kysely") as typeof import("kysely");
    expect(Kysely).toBe(commonJs.Kysely);
    expect(SqliteDialect).toBe(commonJs.SqliteDialect);
    expect(sql).toBe(commonJs.sql);
  });
});
