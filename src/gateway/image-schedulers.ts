import type { SchedulerName } from "../providers/spec/index.ts";

export interface SchedulerDescription {
  name: SchedulerName;
  label: string;
  description: string;
}

/**
 * The samplers ("schedulers" in diffusers) POST /v1/generate accepts. Names follow the common
 * lower-case spelling of ComfyUI and stable-diffusion.cpp; each adapter maps them to its backend.
 */
export const imageSchedulers: readonly SchedulerDescription[] = [
  { name: "euler", label: "Euler", description: "Euler; deterministic, a good default for flow models (Flux, SD3)" },
  { name: "euler_a", label: "Euler a", description: "Euler ancestral; adds noise each step, the classic SD 1.x/SDXL default" },
  { name: "heun", label: "Heun", description: "Heun's second-order method; better per step, two model calls per step" },
  { name: "dpm2", label: "DPM2", description: "DPM-Solver-2" },
  { name: "dpmpp_2s_a", label: "DPM++ 2S a", description: "DPM-Solver++ (2S), ancestral" },
  { name: "dpmpp_2m", label: "DPM++ 2M", description: "DPM-Solver++ (2M); sharp results in 20-30 steps" },
  { name: "dpmpp_2m_v2", label: "DPM++ 2M v2", description: "stable-diffusion.cpp's modified DPM++ (2M)" },
  { name: "ipndm", label: "iPNDM", description: "improved pseudo linear multistep" },
  { name: "lcm", label: "LCM", description: "latent consistency: for LCM/turbo/lightning models, 4-8 steps" },
  { name: "ddim", label: "DDIM", description: "DDIM (trailing timesteps in stable-diffusion.cpp)" },
  { name: "tcd", label: "TCD", description: "trajectory consistency distillation: for TCD models, few steps" },
];

export const schedulerNames = imageSchedulers.map((scheduler) => scheduler.name) as [SchedulerName, ...SchedulerName[]];
