/**
 * Runs @modelcontextprotocol/server-everything as a real HTTP server in a child process:
 * `streamableHttp` (POST/GET /mcp) or the legacy `sse` transport (GET /sse + POST /message).
 * The package reads its port from the PORT environment variable.
 */
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { freePort } from "./station-process.ts";

const everythingBin = path.resolve("node_modules/@modelcontextprotocol/server-everything/dist/index.js");

export interface McpHttpServerProcess {
  port: number;
  /** e.g. http://127.0.0.1:PORT/mcp (streamableHttp) or http://127.0.0.1:PORT/sse (sse). */
  url: string;
  /** Kills the process (SIGKILL) and waits for it to exit. */
  kill(): Promise<void>;
}

export async function startEverythingHttpServer(mode: "streamableHttp" | "sse", port?: number): Promise<McpHttpServerProcess> {
  const chosenPort = port ?? (await freePort());
  const child: ChildProcess = spawn(process.execPath, [everythingBin, mode], {
    env: { PATH: process.env.PATH ?? "", PORT: String(chosenPort) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  await new Promise<void>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`server-everything ${mode} did not start: ${output}`)), 20_000);
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (/listening on port|running on port/i.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server-everything ${mode} exited with ${code}: ${output}`));
    });
  });
  child.stderr?.resume();
  return {
    port: chosenPort,
    url: `http://127.0.0.1:${chosenPort}${mode === "sse" ? "/sse" : "/mcp"}`,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    },
  };
}
