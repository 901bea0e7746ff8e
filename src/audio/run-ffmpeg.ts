import { spawn } from "node:child_process";
import { StationError } from "../errors/station-error.ts";

export interface FfmpegOptions {
  ffmpegPath: string;
  timeoutMs: number;
}

/**
 * Runs ffmpeg over a whole input and collects its output (at most `maxOutputBytes`). A failed
 * decode is the client's bad file (400), a missing binary a 415 that says what to install.
 */
export function runFfmpeg(
  options: FfmpegOptions,
  args: string[],
  input: Uint8Array,
  maxOutputBytes: number,
  signal?: AbortSignal,
): Promise<{ output: Buffer; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.ffmpegPath, ["-hide_banner", "-loglevel", "error", "-nostdin", ...args], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    let stderr = "";
    let settled = false;
    const finish = (error: Error | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", abort);
      if (error !== undefined) {
        child.kill("SIGKILL");
        reject(error);
      } else resolve({ output: Buffer.concat(chunks), truncated });
    };
    const abort = () => finish(new StationError({ code: "client_closed_request", status: 499, message: "The client closed the request" }));
    const timer = setTimeout(
      () =>
        finish(
          new StationError({
            code: "audio_timeout",
            status: 400,
            param: "file",
            message: `Decoding the audio took longer than ${options.timeoutMs} ms`,
          }),
        ),
      options.timeoutMs,
    );
    signal?.addEventListener("abort", abort, { once: true });
    child.on("error", (error: NodeJS.ErrnoException) => {
      finish(
        error.code === "ENOENT"
          ? new StationError({
              code: "unsupported_media_type",
              status: 415,
              param: "file",
              message: `This audio format needs ffmpeg, which is not installed ('${options.ffmpegPath}' not found; set audio.ffmpegPath). WAV and raw PCM work without it.`,
            })
          : error,
      );
    });
    child.stdout.on("data", (chunk: Buffer) => {
      if (truncated) return;
      if (size + chunk.length > maxOutputBytes) {
        chunks.push(chunk.subarray(0, maxOutputBytes - size));
        size = maxOutputBytes;
        truncated = true;
        child.kill("SIGKILL");
        finish(undefined);
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    });
    child.stderr.on("data", (chunk: Buffer) => {
      if (stderr.length < 2000) stderr += chunk.toString("utf8");
    });
    child.on("close", (code) => {
      if (code === 0 || truncated) finish(undefined);
      else {
        const reason =
          stderr
            .trim()
            .split("\n")
            .pop()
            ?.replace(/^pipe:0?:\s*/, "") ?? `exit code ${code}`;
        finish(
          new StationError({ code: "invalid_audio", status: 400, param: "file", message: `The audio could not be decoded: ${reason}` }),
        );
      }
    });
    // ffmpeg may stop reading early (bad header): its closed stdin is not our error.
    child.stdin.on("error", () => {});
    child.stdin.end(Buffer.from(input.buffer, input.byteOffset, input.byteLength));
  });
}
