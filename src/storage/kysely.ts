import type * as KyselyModule from "kysely";
import { requireBundled } from "../bundled/require-bundled.ts";

/**
 * Kysely's CommonJS build: every value Station takes from Kysely comes through here (types may
 * come from "kysely" directly). An `import` would load its ES module build instead, 262 files
 * that Node 20 loads at about twice the CPU time and 7 MB more memory than the same code as
 * CommonJS, on the start-up path (migrations run before the port opens). One copy only: a value
 * imported from "kysely" elsewhere would load the second build (src/storage/kysely.test.ts).
 * The build bundles it into one file (bin/bundle-dependencies.mjs), which loads faster still.
 */
const kysely = requireBundled<typeof KyselyModule>("kysely");

export const { CompiledQuery, Migrator, PostgresAdapter, PostgresDialect, SqliteDialect, sql } = kysely;
export const Kysely = kysely.Kysely;
export type Kysely<Tables> = KyselyModule.Kysely<Tables>;
