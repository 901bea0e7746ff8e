import type { ChildProcess } from "node:child_process";

/** The port a bench child reports over IPC once it listens ("ready <port>"); rejects if it exits first. */
export function readyPort(child: ChildProcess, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    child.on("message", (message) => {
      const match = /ready (\d+)/.exec(String(message));
      if (match !== null) resolve(Number(match[1]));
    });
    child.on("exit", (code) => reject(new Error(`${name} exited with ${code}`)));
  });
}
