import type { Migration } from "kysely";
import { coreMigration } from "./0001-core.ts";

/**
 * Every schema migration, by name; names sort in the order they run. Each feature owns a
 * range: 0001-0099 core, 0100-0199 jobs, 0200-0299 chat, 0300-0399 models.
 * Never edit a migration that has shipped: add a new one.
 */
export const migrations: Record<string, Migration> = {
  "0001-core": coreMigration,
};
