#!/usr/bin/env node
// The build's second step (after tsc): bundles the pure-JavaScript packages that start-up loads
// file by file (Kysely's CommonJS build is 262 files, prom-client with @opentelemetry/api about
// 90, Fastify with its router, plugin loader and semver about 150, @fastify/static 40) into one
// CommonJS file each, <outDir>/bundled/<name>.cjs, which src/bundled/require-bundled.ts
// loads instead of the package. Node's per-file cost (resolve, stat, read, wrap, compile) is most
// of what those packages cost at start-up: one file of the same code loads in about a quarter of
// the CPU time. The code is the package's own, unchanged and unminified.
//
//   node bin/bundle-dependencies.mjs [outDir]      (default: dist)
import { createRequire } from "node:module";
import path from "node:path";
import { build } from "esbuild";

// Left out of Fastify's bundle: what it loads only on demand (schema compilers, inject), and pino
// and ipaddr.js, which Station loads itself (one copy each).
const fastifyOnDemand = [
  "pino",
  "ajv",
  "ajv-formats",
  "fast-json-stringify",
  "@fastify/ajv-compiler",
  "@fastify/fast-json-stringify-compiler",
  "light-my-request",
  "ipaddr.js",
];

const bundledPackages = [
  { name: "kysely" },
  { name: "prom-client" },
  { name: "fastify", external: fastifyOnDemand },
  { name: "@fastify/static" },
];

const require = createRequire(import.meta.url);
const outDir = path.resolve(process.argv[2] ?? "dist");

for (const { name, external = [] } of bundledPackages) {
  await build({
    entryPoints: [require.resolve(name)],
    // "@fastify/static" -> "@fastify+static.cjs" (one directory; src/bundled/require-bundled.ts reads the same name)
    outfile: path.join(outDir, "bundled", `${name.replace("/", "+")}.cjs`),
    external,
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    legalComments: "inline",
    logLevel: "warning",
  });
}
