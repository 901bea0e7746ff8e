import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { TurnBufferedWriter } from "./turn-buffered-writer.ts";

describe("TurnBufferedWriter", () => {
  it("writes the lines of one event-loop turn in one write, at the end of that turn", async () => {
    const writes: string[] = [];
    const writer = new TurnBufferedWriter({ write: (chunk: string) => writes.push(chunk) });
    writer.write("one\n");
    writer.write("two\n");
    expect(writes).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual(["one\ntwo\n"]);
    writer.write("three\n");
    await new Promise((resolve) => setImmediate(resolve));
    expect(writes).toEqual(["one\ntwo\n", "three\n"]);
  });

  it("loses no line logged just before the process exits", () => {
    const logger = path.join(import.meta.dirname, "create-logger.ts");
    const child = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `const { createLogger } = await import(${JSON.stringify(logger)}); createLogger("info").info("last words"); process.exit(3);`,
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    );
    expect(child.status).toBe(3);
    expect(child.stdout).toContain("last words");
  });
});
