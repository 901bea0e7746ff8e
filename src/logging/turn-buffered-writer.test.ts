import { spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { stdoutSink, TurnBufferedWriter } from "./turn-buffered-writer.ts";

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

  it("writes stdout redirected to a file straight to its descriptor, in order with the process's other output", () => {
    const logger = path.join(import.meta.dirname, "create-logger.ts");
    const directory = mkdtempSync(path.join(tmpdir(), "station-stdout-"));
    const file = path.join(directory, "out.log");
    const fd = openSync(file, "w");
    try {
      const child = spawnSync(
        process.execPath,
        [
          "--import",
          "tsx",
          "--input-type=module",
          "-e",
          `const { createLogger } = await import(${JSON.stringify(logger)});
          const { stdoutSink } = await import(${JSON.stringify(path.join(import.meta.dirname, "turn-buffered-writer.ts"))});
          console.log("sink " + (stdoutSink() === process.stdout ? "stream" : "descriptor"));
          const log = createLogger("info");
          log.info("first");
          await new Promise((resolve) => setImmediate(resolve));
          console.log("between");
          log.info("second");
          log.info("third");`,
        ],
        { encoding: "utf8", stdio: ["ignore", fd, "pipe"] },
      );
      expect(child.status, child.stderr).toBe(0);
    } finally {
      closeSync(fd);
    }
    const lines = readFileSync(file, "utf8").trimEnd().split("\n");
    rmSync(directory, { recursive: true, force: true });
    expect(lines[0]).toBe("sink descriptor");
    expect(lines.slice(1).map((line) => (line.startsWith("{") ? (JSON.parse(line) as { msg: string }).msg : line))).toEqual([
      "first",
      "between",
      "second",
      "third",
    ]);
  });

  it("keeps a stream that is not a file (a pipe, a terminal) as the sink", () => {
    const stream = new PassThrough() as unknown as NodeJS.WriteStream;
    expect(stdoutSink(stream)).toBe(stream);
  });
});
