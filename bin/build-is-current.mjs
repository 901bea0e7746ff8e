// Whether bin/station in a checkout runs its compiled build: dist/ exists and no source file is
// newer (a developer's edit would otherwise run stale code), and STATION_FROM_SOURCE=1 does not
// force the sources. Plain JavaScript: bin/station reads it before any TypeScript loader is up.
import { readdirSync, statSync } from "node:fs";

/** Newest modification time of any .ts file under a directory (tens of stats: a millisecond or two). */
function newestSource(directory) {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const child = new URL(entry.isDirectory() ? `${entry.name}/` : entry.name, directory);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(child));
    else if (entry.name.endsWith(".ts")) newest = Math.max(newest, statSync(child).mtimeMs);
  }
  return newest;
}

/** @param {URL} root the checkout, as a directory URL (ending in /) */
export function buildIsCurrent(root) {
  if (process.env.STATION_FROM_SOURCE === "1") return false;
  let builtAt;
  try {
    builtAt = statSync(new URL("dist/cli/main.js", root)).mtimeMs;
  } catch {
    return false;
  }
  try {
    return newestSource(new URL("src/", root)) <= builtAt;
  } catch {
    return true; // an installed package without its sources: the build is all there is
  }
}
