import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);

/**
 * A package that the build bundled into one file beside this module (bin/bundle-dependencies.mjs
 * writes dist/bundled/<name>.cjs), or the package itself where there is no such file (the
 * sources run through tsx, a build made by tsc alone). Same code either way; the bundle only
 * loads faster.
 */
export function requireBundled<Module>(name: "kysely" | "prom-client" | "fastify" | "@fastify/static"): Module {
  const bundled = fileURLToPath(new URL(`./${name.replace("/", "+")}.cjs`, import.meta.url));
  return require(existsSync(bundled) ? bundled : name) as Module;
}
