import type { Migration } from "kysely";
import type { Database } from "./database.ts";
import { Migrator } from "./kysely.ts";
import { migrations as allMigrations } from "./migrations/index.ts";

/**
 * Runs pending migrations up to `target` (default: the latest). Throws on the first failure.
 * On PostgreSQL, Kysely runs them in one transaction under an advisory lock, so instances
 * starting together migrate once: the others wait, then find nothing left to do. Feature
 * ranges may land out of order (a new 0203 after a shipped 0300), so order is not enforced.
 */
export async function migrate(
  database: Database,
  options: { target?: string; migrations?: Record<string, Migration> } = {},
): Promise<string[]> {
  const migrator = new Migrator({
    db: database.kysely,
    allowUnorderedMigrations: true,
    provider: { getMigrations: async () => options.migrations ?? allMigrations },
  });
  const outcome = options.target === undefined ? await migrator.migrateToLatest() : await migrator.migrateTo(options.target);
  if (outcome.error !== undefined) {
    const failed = outcome.results?.find((result) => result.status === "Error")?.migrationName ?? "unknown";
    throw new Error(`database migration '${failed}' failed: ${(outcome.error as Error).message}`, { cause: outcome.error });
  }
  return (outcome.results ?? []).filter((result) => result.status === "Success").map((result) => result.migrationName);
}
