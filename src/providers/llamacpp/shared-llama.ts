import type { Llama } from "node-llama-cpp";
import type { Logger } from "../../logging/create-logger.ts";

let shared: Promise<Llama> | undefined;
let loaded: Llama | undefined;

/** The runtime if it has already started; never starts it (GET /v1/system/metrics reads its GPU state). */
export function loadedLlama(): Llama | undefined {
  return loaded;
}

/**
 * One llama.cpp runtime per process (it owns the backend and the thread pool). Prebuilt
 * binaries only: never compile at run time. The GPU build is picked automatically when the
 * machine has one. `maxThreads: 0` makes each context's `threads` exact.
 */
export function sharedLlama(logger: Logger): Promise<Llama> {
  shared ??= startLlama(logger)
    .then((llama) => {
      loaded = llama;
      return llama;
    })
    .catch((error: unknown) => {
      shared = undefined;
      throw error;
    });
  return shared;
}

/** node-llama-cpp is imported only when a local model is first used (it costs ~40 MB and ~0.3 s to load). */
async function startLlama(logger: Logger): Promise<Llama> {
  const { getLlama, LlamaLogLevel } = await import("node-llama-cpp");
  const start = (gpu: "auto" | false) =>
    getLlama({
      build: "never",
      gpu,
      maxThreads: 0,
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => {
        const text = message.trim();
        if (text.length === 0) return;
        if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) logger.error({ source: "llama.cpp" }, text);
        else if (level === LlamaLogLevel.warn) logger.warn({ source: "llama.cpp" }, text);
        else logger.debug({ source: "llama.cpp" }, text);
      },
    });
  const llama = await start("auto");
  if (llama.gpu !== "vulkan" || !(await hasOnlySoftwareVulkan(llama))) return llama;
  // Mesa's lavapipe (pulled in with ffmpeg and many desktop packages) is a Vulkan device that runs
  // on the CPU: llama.cpp would pick it, report 0 bytes of VRAM and run slower than its own CPU code.
  logger.info("Vulkan offers only a software renderer (no GPU): the local engine runs on the CPU");
  await llama.dispose();
  return start(false);
}

async function hasOnlySoftwareVulkan(llama: Llama): Promise<boolean> {
  const [devices, vram] = await Promise.all([llama.getGpuDeviceNames(), llama.getVramState()]);
  return vram.total === 0 || devices.every((name) => /llvmpipe|lavapipe|swiftshader/i.test(name));
}
