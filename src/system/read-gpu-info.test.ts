import { describe, expect, it } from "vitest";
import { type GpuEngine, readGpuInfo } from "./read-gpu-info.ts";

const engine = (gpu: GpuEngine["gpu"], vram: () => Promise<Awaited<ReturnType<GpuEngine["getVramState"]>>>): GpuEngine => ({
  gpu,
  getVramState: vram,
  getGpuDeviceNames: async () => ["NVIDIA H100 80GB HBM3"],
});

describe("readGpuInfo", () => {
  it("reports the local engine's GPU and VRAM", async () => {
    const report = await readGpuInfo(
      engine("cuda", async () => ({ total: 80e9, used: 20e9, free: 60e9, unifiedSize: 0 })),
      true,
    );
    expect(report.gpu).toEqual({
      type: "cuda",
      devices: ["NVIDIA H100 80GB HBM3"],
      vram: { totalBytes: 80e9, usedBytes: 20e9, freeBytes: 60e9, unifiedBytes: 0 },
    });
    expect(report.detail).toMatch(/llama\.cpp/);
  });

  it("is null, with the reason, when there is no GPU figure to give", async () => {
    expect(await readGpuInfo(undefined, false)).toEqual({ gpu: null, detail: expect.stringMatching(/no llamacpp provider/) });
    expect(await readGpuInfo(undefined, true)).toEqual({ gpu: null, detail: expect.stringMatching(/not started yet/) });
    const cpuOnly = engine(false, async () => ({ total: 0, used: 0, free: 0, unifiedSize: 0 }));
    expect(await readGpuInfo(cpuOnly, true)).toEqual({ gpu: null, detail: expect.stringMatching(/runs on the CPU/) });
    const broken = engine("vulkan", async () => {
      throw new Error("device lost");
    });
    expect(await readGpuInfo(broken, true)).toEqual({ gpu: null, detail: expect.stringMatching(/device lost/) });
  });
});
