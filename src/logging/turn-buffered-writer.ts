import { writeSync } from "node:fs";

/** Where log lines finally go: process.stdout, or a test's stream. */
export interface LineSink {
  write(chunk: string): unknown;
}

/**
 * The logger's destination: lines logged in one event-loop turn leave in one write, at the end of
 * that turn (setImmediate), instead of one write each. A write to stdout costs ~3 µs of CPU
 * (bench/gateway: the request log line was the largest cost Station adds per request); at
 * concurrency, several requests end in one turn. Nothing waits longer than the turn, and lines
 * still pending when the process exits are written synchronously on 'exit'.
 */
export class TurnBufferedWriter {
  private pending = "";
  private scheduled = false;
  private readonly flushNow = (): void => {
    this.scheduled = false;
    this.flush();
  };

  constructor(private readonly sink: LineSink) {}

  write(line: string): boolean {
    this.pending += line;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushNow);
    }
    return true;
  }

  /** Writes what is pending now. */
  flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending;
    this.pending = "";
    this.sink.write(text);
  }
}

let stdoutWriter: TurnBufferedWriter | undefined;

/**
 * process.stdout as a sink. Redirected to a file (or /dev/null) it is Node's SyncWriteStream,
 * which turns each string into a Buffer and runs the Writable machinery (a nextTick per write)
 * only to call `fs.writeSync` on its descriptor: writing the string there directly is the same
 * synchronous write in the same order, without them (about half of the flush's own CPU in
 * bench/gateway). A pipe or a terminal keeps its stream.
 */
export function stdoutSink(stdout: NodeJS.WriteStream = process.stdout): LineSink {
  const { fd } = stdout as { fd?: unknown };
  if (stdout.constructor.name !== "SyncWriteStream" || typeof fd !== "number") return stdout;
  return {
    write: (chunk: string) => writeSync(fd, chunk),
  };
}

/** The one buffered writer over process.stdout (flushed on exit). */
export function bufferedStdout(): TurnBufferedWriter {
  if (stdoutWriter === undefined) {
    const writer = new TurnBufferedWriter(stdoutSink());
    process.once("exit", () => writer.flush());
    stdoutWriter = writer;
  }
  return stdoutWriter;
}
