#!/usr/bin/env node
// The build's second step (after tsc): bundles the pure-JavaScript packages that start-up loads
// file by file (Kysely's CommonJS build is 262 files, prom-client with @opentelemetry/api about
// 90) into one CommonJS file each, <outDir>/bundled/<name>.cjs, which src/bundled/require-bundled.ts
// loads instead of the package. Node's per-file cost (resolve, stat, read, wrap, compile) is most
// of what those packages cost at start-up: one file of the same code loads in about a quarter of
// the CPU time. The code is the package's own, unchanged and unminified.
//
//   node bin/bundle-dependencies.mjs [outDir]      (default: dist)
import { createRequire } from "node:module";
import path from "node:path";
import { build } from "esbuild";

export const bundledPackages = ["kysely", "prom-client"];

const require = createRequire(import.meta.url);
const outDir = path.resolve(process.argv[2] ?? "dist");

for (const name of bundledPackages) {
  await build({
    entryPoints: [require.resolve(name)],
    outfile: path.join(outDir, "bundled", `${name}.cjs`),
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    legalComments: "inline",
    logLevel: "warning",
  });
}
