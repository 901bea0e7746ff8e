import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

/**
 * How to start a worker thread on a module beside `from`: the compiled .js when Station runs from
 * dist/, else (tsx, vitest) the .ts through tsx's API, since a worker does not inherit the
 * parent's loader.
 */
export function workerEntry(from: string, moduleName: string): { entry: string | URL; eval: boolean } {
  if (!from.endsWith(".ts")) return { entry: new URL(`./${moduleName}.js`, from), eval: false };
  const tsx = tsxEsmApi(from);
  const target = new URL(`./${moduleName}.ts`, from).href;
  const source = `import(${JSON.stringify(tsx)}).then((api) => api.tsImport(${JSON.stringify(target)}, ${JSON.stringify(from)}));`;
  return { entry: source, eval: true };
}

/** tsx's ESM API by its package's export map (require.resolve would give the CommonJS build). */
function tsxEsmApi(from: string): string {
  const manifestPath = createRequire(from).resolve("tsx/package.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { exports: Record<string, { import: { default: string } }> };
  const entry = manifest.exports["./esm/api"]?.import.default ?? "./dist/esm/api/index.mjs";
  return new URL(entry, pathToFileURL(manifestPath)).href;
}
