import { spawn } from "node:child_process";
import { StationError } from "../errors/station-error.ts";
import type { FfmpegOptions } from "./run-ffmpeg.ts";

/**
 * Pipes a stream through ffmpeg and yields its output as it comes (speech encoded to mp3/opus/...
 * while the model still speaks). Stopping the iteration kills ffmpeg; a missing binary is a 415.
 */
export async function* streamFfmpeg(options: FfmpegOptions, args: string[], input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const child = spawn(options.ffmpegPath, ["-hide_banner", "-loglevel", "error", ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let failure: Error | undefined;
  let stderr = "";
  const spawned = new Promise<void>((resolve) => {
    child.once("spawn", () => resolve());
    child.once("error", (error: NodeJS.ErrnoException) => {
      failure =
        error.code === "ENOENT"
          ? new StationError({
              code: "unsupported_media_type",
              status: 415,
              param: "response_format",
              message: `This audio format needs ffmpeg, which is not installed ('${options.ffmpegPath}' not found; set audio.ffmpegPath). wav and pcm work without it.`,
            })
          : error;
      resolve();
    });
  });
  child.stderr.on("data", (chunk: Buffer) => {
    if (stderr.length < 2000) stderr += chunk.toString("utf8");
  });
  const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
  const timer = setTimeout(() => {
    failure = new Error(`ffmpeg ran longer than ${options.timeoutMs} ms`);
    child.kill("SIGKILL");
  }, options.timeoutMs);
  child.stdin.on("error", () => {});
  const pump = (async () => {
    try {
      for await (const chunk of input) {
        if (!child.stdin.write(chunk)) await new Promise((resolve) => child.stdin.once("drain", resolve));
      }
      child.stdin.end();
    } catch (error) {
      failure ??= error as Error;
      child.kill("SIGKILL");
    }
  })();
  try {
    await spawned;
    if (failure !== undefined) throw failure;
    for await (const chunk of child.stdout) yield chunk as Buffer;
    await pump;
    const code = await exited;
    if (failure !== undefined) throw failure;
    if (code !== 0) throw new Error(`ffmpeg failed to encode: ${stderr.trim().split("\n").pop() ?? `exit code ${code}`}`);
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null) child.kill("SIGKILL");
  }
}
