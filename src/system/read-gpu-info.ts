import type { Llama } from "node-llama-cpp";

/** The part of node-llama-cpp's `Llama` the GPU report reads. */
export type GpuEngine = Pick<Llama, "gpu" | "getVramState" | "getGpuDeviceNames">;

export interface GpuInfo {
  /** llama.cpp's backend for this GPU. */
  type: "cuda" | "vulkan" | "metal";
  devices: string[];
  vram: { totalBytes: number; usedBytes: number; freeBytes: number; unifiedBytes: number };
}

export interface GpuReport {
  gpu: GpuInfo | null;
  /** Where the figures come from, or why there are none. */
  detail: string;
}

/**
 * GPU figures as the local llama.cpp engine sees them — only when that engine is already running:
 * starting a native engine (and probing CUDA/Vulkan) takes seconds, far too long for a metrics call.
 */
export async function readGpuInfo(engine: GpuEngine | undefined, hasLocalEngine: boolean): Promise<GpuReport> {
  if (!hasLocalEngine) {
    return { gpu: null, detail: "No local engine is configured (no llamacpp provider): Station reads GPU figures from it." };
  }
  if (engine === undefined) {
    return {
      gpu: null,
      detail: "The local engine has not started yet (it starts with the first local model); GPU figures appear once it runs.",
    };
  }
  if (engine.gpu === false) {
    return { gpu: null, detail: "The local engine runs on the CPU: it found no GPU it can use (CUDA, Vulkan or Metal)." };
  }
  try {
    const [vram, devices] = await Promise.all([engine.getVramState(), engine.getGpuDeviceNames()]);
    return {
      gpu: {
        type: engine.gpu,
        devices,
        vram: { totalBytes: vram.total, usedBytes: vram.used, freeBytes: vram.free, unifiedBytes: vram.unifiedSize },
      },
      detail: "Reported by the local llama.cpp engine (node-llama-cpp).",
    };
  } catch (error) {
    return {
      gpu: null,
      detail: `The local engine could not read its GPU state: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
}
