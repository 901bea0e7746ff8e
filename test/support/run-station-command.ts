import { execFile } from "node:child_process";
import { stationBin } from "./station-process.ts";

/**
 * Runs one bin/station command to its end (at most 50 s) and hands back its exit code and
 * output. Asynchronous, so that a file server in the test's own process can answer it (spawnSync
 * would deadlock). HF_TOKEN is taken out of the environment unless `environment` sets it.
 */
export function runStationCommand(
  args: string[],
  environment: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, ...environment };
  if (environment.HF_TOKEN === undefined) delete env.HF_TOKEN;
  return new Promise((resolve) => {
    execFile(stationBin, args, { encoding: "utf8", timeout: 50_000, env }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr });
    });
  });
}
