// Loaded with `node --import` into a child process: appends the name of every npm package the
// process imports (ES module resolution) to the file named by STATION_TEST_IMPORT_LOG, one per line.
import { register } from "node:module";

const hook = `
import { appendFileSync } from "node:fs";
const log = process.env.STATION_TEST_IMPORT_LOG;
const seen = new Set();
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  const match = /\\/node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(resolved.url);
  if (log !== undefined && match !== null && !seen.has(match[1])) {
    seen.add(match[1]);
    appendFileSync(log, match[1] + "\\n");
  }
  return resolved;
}`;
register(`data:text/javascript,${encodeURIComponent(hook)}`);
