import { describe, expect, it } from "vitest";
import { createCpuSampler } from "./create-cpu-sampler.ts";

const core = (busy: number, idle: number) => ({ user: busy, nice: 0, sys: 0, irq: 0, idle });

describe("createCpuSampler", () => {
  it("computes process and system CPU over the interval since the previous reading", () => {
    let now = 0;
    let processMicros = 0;
    let cores = [core(0, 0), core(0, 0)];
    const sampler = createCpuSampler({ now: () => now, processCpuMicros: () => processMicros, coreTimes: () => cores });

    // 2 s later: the process used 1.5 s of CPU (75 % of one core); the two cores were busy 1 s of 4 s.
    now = 2_000;
    processMicros = 1_500_000;
    cores = [core(1_000, 1_000), core(0, 2_000)];
    expect(sampler.read()).toEqual({ intervalSeconds: 2, processPercent: 75, systemPercent: 25 });

    // Two busy threads for 1 s: 200 % of one core, as top shows it; both cores fully busy.
    now = 3_000;
    processMicros += 2_000_000;
    cores = [core(2_000, 1_000), core(1_000, 2_000)];
    expect(sampler.read()).toEqual({ intervalSeconds: 1, processPercent: 200, systemPercent: 100 });
  });

  it("repeats the last figures for readings closer together than the minimum interval", () => {
    let now = 0;
    let processMicros = 0;
    const sampler = createCpuSampler({ now: () => now, processCpuMicros: () => processMicros, coreTimes: () => [core(now, now)] });
    now = 1_000;
    processMicros = 100_000;
    const first = sampler.read();
    expect(first.processPercent).toBe(10);
    now = 1_200;
    processMicros = 1_000_000;
    expect(sampler.read()).toBe(first);
    now = 2_000;
    expect(sampler.read()).toMatchObject({ intervalSeconds: 1, processPercent: 90, systemPercent: 50 });
  });

  it("reads the real process and cores", () => {
    const usage = createCpuSampler({ minIntervalMs: 0 }).read();
    expect(usage.processPercent).toBeGreaterThanOrEqual(0);
    expect(usage.systemPercent).toBeGreaterThanOrEqual(0);
    expect(usage.systemPercent).toBeLessThanOrEqual(100);
  });
});
