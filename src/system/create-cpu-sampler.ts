import os from "node:os";
import { performance } from "node:perf_hooks";

export interface CpuUsage {
  /** Seconds the two percentages cover: since the previous reading (or since the sampler started). */
  intervalSeconds: number;
  /** This process's CPU time over the interval, in % of one core (above 100 with several busy threads, as `top` shows it). */
  processPercent: number;
  /** Busy time of all cores over the interval, in % of their total capacity (0–100), from `os.cpus()` deltas. */
  systemPercent: number;
}

export interface CpuSampler {
  read(): CpuUsage;
}

export interface CpuSamplerOptions {
  /** Readings closer together than this return the previous figures (a short interval is noise). */
  minIntervalMs?: number;
  now?: () => number;
  processCpuMicros?: () => number;
  coreTimes?: () => os.CpuInfo["times"][];
}

interface Sample {
  at: number;
  processMicros: number;
  busyMs: number;
  totalMs: number;
}

/**
 * CPU usage sampled on demand, like psutil's `cpu_percent(interval=None)`: each reading compares
 * against the previous one, so nothing runs in the background and a reading never waits.
 */
export function createCpuSampler(options: CpuSamplerOptions = {}): CpuSampler {
  const minIntervalMs = options.minIntervalMs ?? 1000;
  const now = options.now ?? (() => performance.now());
  const processCpuMicros =
    options.processCpuMicros ??
    (() => {
      const usage = process.cpuUsage();
      return usage.user + usage.system;
    });
  const coreTimes = options.coreTimes ?? (() => os.cpus().map((cpu) => cpu.times));

  const sample = (): Sample => {
    let busyMs = 0;
    let totalMs = 0;
    for (const times of coreTimes()) {
      const busy = times.user + times.nice + times.sys + times.irq;
      busyMs += busy;
      totalMs += busy + times.idle;
    }
    return { at: now(), processMicros: processCpuMicros(), busyMs, totalMs };
  };

  let previous = sample();
  let last: CpuUsage | undefined;

  return {
    read() {
      if (last !== undefined && now() - previous.at < minIntervalMs) return last;
      const current = sample();
      const elapsedMs = current.at - previous.at;
      const totalMs = current.totalMs - previous.totalMs;
      last = {
        intervalSeconds: round(elapsedMs / 1000),
        processPercent: elapsedMs > 0 ? round(((current.processMicros - previous.processMicros) / 1000 / elapsedMs) * 100) : 0,
        systemPercent: totalMs > 0 ? round(clamp(((current.busyMs - previous.busyMs) / totalMs) * 100)) : 0,
      };
      previous = current;
      return last;
    },
  };
}

function clamp(percent: number): number {
  return Math.min(100, Math.max(0, percent));
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
