import type { UpstreamClient } from "../http/upstream-client.ts";
import type { ImageGenerationOptions, ImageModel, ImageOptionName, ImageParameterSupport, SchedulerName } from "../spec/index.ts";

/**
 * How diffusion options beyond OpenAI's (negative prompt, steps, guidance, scheduler, seed)
 * reach an OpenAI-compatible `/images/generations`:
 * - "openai": not at all (OpenAI rejects unknown fields); the gateway reports them as ignored.
 * - "diffusers": as top-level fields with diffusers' names (`negative_prompt`,
 *   `num_inference_steps`, `guidance_scale`, `scheduler`, `seed`), as vLLM-Omni reads them.
 * - "sd-cpp": inside the prompt as `<sd_cpp_extra_args>{json}</sd_cpp_extra_args>`, the only
 *   channel stable-diffusion.cpp's sd-server has for them.
 */
export type ImageParameterDialect = "openai" | "diffusers" | "sd-cpp";

const allOptions: readonly ImageOptionName[] = ["negativePrompt", "steps", "guidanceScale", "scheduler", "seed"];

const support: Record<ImageParameterDialect, ImageParameterSupport> = {
  openai: { dialect: "openai", options: [], scheduler: "ignored" },
  diffusers: { dialect: "diffusers", options: allOptions, scheduler: "passed-through" },
  "sd-cpp": { dialect: "sd-cpp", options: allOptions, scheduler: "honoured" },
};

/** stable-diffusion.cpp's spelling of each sampler (its `sample_method`). */
const sdCppSampleMethods: Record<SchedulerName, string> = {
  euler: "euler",
  euler_a: "euler_a",
  heun: "heun",
  dpm2: "dpm2",
  dpmpp_2s_a: "dpm++2s_a",
  dpmpp_2m: "dpm++2m",
  dpmpp_2m_v2: "dpm++2mv2",
  ipndm: "ipndm",
  lcm: "lcm",
  ddim: "ddim_trailing",
  tcd: "tcd",
};

export function createOpenAiImageModel(
  client: UpstreamClient,
  providerId: string,
  modelName: string,
  dialect: ImageParameterDialect,
): ImageModel {
  return {
    id: `${providerId}/${modelName}`,
    parameters: support[dialect],
    async generate(request) {
      const options = request.options ?? {};
      const given = allOptions.filter((name) => options[name] !== undefined);
      const body: Record<string, unknown> = { model: modelName, prompt: request.prompt, response_format: "b64_json" };
      if (request.n !== undefined) body.n = request.n;
      if (request.size !== undefined) body.size = request.size;
      if (dialect === "diffusers") Object.assign(body, diffusersFields(options));
      if (dialect === "sd-cpp" && given.length > 0)
        body.prompt = `${request.prompt} <sd_cpp_extra_args>${JSON.stringify(sdCppArgs(options))}</sd_cpp_extra_args>`;
      const reply = await client.json<{ data?: unknown } | null>("POST", "/images/generations", body, request.signal);
      const encoded = (Array.isArray(reply?.data) ? reply.data : [])
        .map((item: { b64_json?: unknown } | null) => item?.b64_json)
        .filter((image): image is string => typeof image === "string" && image.length > 0);
      // A 200 without one usable image is the upstream's failure, not an empty success (nor a crash here).
      if (encoded.length === 0) {
        throw client.badReply("/images/generations", "no image (expected data[].b64_json)");
      }
      return {
        images: encoded.map((image) => {
          const data = Buffer.from(image, "base64");
          return { data, mediaType: imageMediaType(data) };
        }),
      };
    },
  };
}

function diffusersFields(options: ImageGenerationOptions): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (options.negativePrompt !== undefined) fields.negative_prompt = options.negativePrompt;
  if (options.steps !== undefined) fields.num_inference_steps = options.steps;
  if (options.guidanceScale !== undefined) fields.guidance_scale = options.guidanceScale;
  if (options.scheduler !== undefined) fields.scheduler = options.scheduler;
  if (options.seed !== undefined) fields.seed = options.seed;
  return fields;
}

/**
 * Both spellings sd-server has read: flat `steps`/`cfg_scale`/`sample_method` (2025 releases) and
 * the nested `sample_params` of later ones. Each version ignores the keys it does not know.
 */
function sdCppArgs(options: ImageGenerationOptions): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  const sampleParams: Record<string, unknown> = {};
  if (options.negativePrompt !== undefined) args.negative_prompt = options.negativePrompt;
  if (options.seed !== undefined) args.seed = options.seed;
  if (options.steps !== undefined) {
    args.steps = options.steps;
    sampleParams.sample_steps = options.steps;
  }
  if (options.guidanceScale !== undefined) {
    args.cfg_scale = options.guidanceScale;
    sampleParams.guidance = { txt_cfg: options.guidanceScale };
  }
  if (options.scheduler !== undefined) {
    args.sample_method = sdCppSampleMethods[options.scheduler];
    sampleParams.sample_method = sdCppSampleMethods[options.scheduler];
  }
  if (Object.keys(sampleParams).length > 0) args.sample_params = sampleParams;
  return args;
}

/** Servers may answer JPEG or WebP (sd-server's `output_format`); the bytes say which. */
function imageMediaType(data: Uint8Array): string {
  if (data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return "image/jpeg";
  if (
    data.length > 11 &&
    Buffer.from(data.subarray(0, 4)).toString("latin1") === "RIFF" &&
    Buffer.from(data.subarray(8, 12)).toString("latin1") === "WEBP"
  ) {
    return "image/webp";
  }
  return "image/png";
}
