import { readFileSync } from "node:fs";

/** Station's version, from package.json (read once). */
export const stationVersion: string = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string })
  .version;
