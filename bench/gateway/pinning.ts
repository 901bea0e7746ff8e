/**
 * CPU pinning for the gateway bench on Linux: the bench process (the load generator) and the fake
 * upstreams share one core, and each proxy under test (the bare proxy, Station) gets the other, the
 * same one for both. Unpinned, three busy processes on two cores are placed by the scheduler as
 * it pleases, differently from one round to the next, so the placement can decide a round's
 * throughput; pinned, each proxy is the bottleneck on a core of its own. Other work on the machine
 * still lands on both cores (`--no-pin` to compare).
 */
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";

export interface Pinning {
  /** The bench process, autocannon and the fake upstreams. */
  loadCpu: number;
  /** Every proxy under test, one after the other. */
  proxyCpu: number;
}

/** The pinning to use, or undefined (not Linux, no `taskset`, fewer than two cores, or `--no-pin`). */
export function choosePinning(disabled: boolean): Pinning | undefined {
  if (disabled || process.platform !== "linux" || availableParallelism() < 2) return undefined;
  if (spawnSync("taskset", ["-V"], { stdio: "ignore" }).status !== 0) return undefined;
  return { loadCpu: 0, proxyCpu: 1 };
}

/** Pins this process, every thread it already has included; children it starts inherit the core. */
export function pinThisProcess(cpu: number): void {
  const result = spawnSync("taskset", ["-a", "-cp", String(cpu), String(process.pid)], { stdio: "ignore" });
  if (result.status !== 0) throw new Error(`taskset could not pin the bench to CPU ${cpu}`);
}

/** `command args` run on `cpu` (through taskset), or as they are without a core. */
export function onCpu(cpu: number | undefined, command: string, args: string[]): [string, string[]] {
  return cpu === undefined ? [command, args] : ["taskset", ["-c", String(cpu), command, ...args]];
}
