import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeOpenAiUpstream, type RecordedRequest, startFakeOpenAiUpstream } from "./support/fake-openai-upstream.ts";
import { startTestStation, type TestStation } from "./support/start-test-station.ts";

interface GenerateReply {
  created: number;
  model: string;
  images: { data: string; media_type: string }[];
  seed: number | null;
  ignored: string[];
  timings: { total_ms: number; generation_ms: number };
}

interface SchedulersReply {
  schedulers: { name: string; label: string; description: string }[];
  default: null;
  models: { model: string; dialect: string; scheduler_support: string; schedulers: string[]; default: null; parameters: string[] }[];
}

const allOptions = { negative_prompt: "blurry, text", steps: 12, guidance_scale: 4.5, scheduler: "dpmpp_2m", seed: 42 };

/**
 * POST /v1/generate and GET /v1/schedulers against one fake OpenAI-compatible upstream, reached
 * through three providers that send diffusion options in each dialect.
 */
describe("image generation: /v1/generate and /v1/schedulers", () => {
  let upstream: FakeOpenAiUpstream;
  let station: TestStation;

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ models: ["gpt-test", "sdxl-turbo"] });
    station = await startTestStation({
      config: {
        providers: [
          { id: "sd", type: "openai", baseUrl: upstream.url, imageParameters: "sd-cpp" },
          { id: "omni", type: "openai", baseUrl: upstream.url, imageParameters: "diffusers" },
          { id: "oai", type: "openai", baseUrl: upstream.url },
        ],
        routes: [{ model: "paint", targets: ["sd/sdxl-turbo", "omni/sdxl-turbo"] }],
      },
    });
  });
  afterAll(async () => {
    await station?.close();
    await upstream?.close();
  });

  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${station.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const generate = async (body: Record<string, unknown>): Promise<GenerateReply> => {
    const reply = await post("/v1/generate", body);
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    return reply.body as unknown as GenerateReply;
  };
  const imageCalls = (): RecordedRequest[] => upstream.requests.filter((request) => request.path === "/v1/images/generations");
  const lastImageCall = (): Record<string, unknown> => imageCalls().at(-1)?.body ?? {};
  const extraArgs = (prompt: unknown): Record<string, unknown> => {
    const match = /<sd_cpp_extra_args>(.*)<\/sd_cpp_extra_args>$/.exec(String(prompt));
    expect(match, String(prompt)).not.toBeNull();
    return JSON.parse(match?.[1] ?? "{}") as Record<string, unknown>;
  };

  it("generates decodable PNGs and hands every option to stable-diffusion.cpp's sd-server in its own syntax", async () => {
    const reply = await generate({ model: "sd/sdxl-turbo", prompt: "a lighthouse at dusk", width: 512, height: 768, n: 2, ...allOptions });
    expect(reply).toMatchObject({ model: "sd/sdxl-turbo", seed: 42, ignored: [] });
    expect(reply.created).toBeGreaterThan(1_700_000_000);
    expect(reply.timings.total_ms).toBeGreaterThanOrEqual(reply.timings.generation_ms);
    expect(reply.images).toHaveLength(2);
    for (const image of reply.images) {
      expect(image.media_type).toBe("image/png");
      const metadata = await sharp(Buffer.from(image.data, "base64")).metadata();
      expect(metadata).toMatchObject({ format: "png", width: 1, height: 1 });
    }

    const sent = lastImageCall();
    expect(sent).toMatchObject({ model: "sdxl-turbo", n: 2, size: "512x768", response_format: "b64_json" });
    expect(String(sent.prompt).startsWith("a lighthouse at dusk <sd_cpp_extra_args>")).toBe(true);
    expect(extraArgs(sent.prompt)).toEqual({
      negative_prompt: "blurry, text",
      seed: 42,
      steps: 12,
      cfg_scale: 4.5,
      sample_method: "dpm++2m",
      sample_params: { sample_steps: 12, sample_method: "dpm++2m", guidance: { txt_cfg: 4.5 } },
    });
    // Nothing sd-server does not read goes as a top-level field.
    expect(Object.keys(sent).sort()).toEqual(["model", "n", "prompt", "response_format", "size"]);
  });

  it("maps every scheduler Station lists to a stable-diffusion.cpp sample method", async () => {
    const { schedulers } = (await (await fetch(`${station.url}/v1/schedulers`)).json()) as SchedulersReply;
    const sampleMethods = new Set<string>();
    for (const { name } of schedulers) {
      await generate({ model: "sd/sdxl-turbo", prompt: "x", scheduler: name });
      const args = extraArgs(lastImageCall().prompt);
      expect(typeof args.sample_method).toBe("string");
      sampleMethods.add(String(args.sample_method));
    }
    expect(sampleMethods.size).toBe(schedulers.length);
    expect([...sampleMethods]).toEqual(expect.arrayContaining(["euler", "euler_a", "dpm++2m", "ddim_trailing", "lcm"]));
  });

  it("draws a seed when the request has none (or -1), and says which", async () => {
    const reply = await generate({ model: "sd/sdxl-turbo", prompt: "a fox" });
    expect(Number.isInteger(reply.seed)).toBe(true);
    expect(extraArgs(lastImageCall().prompt)).toEqual({ seed: reply.seed });
    const random = await generate({ model: "sd/sdxl-turbo", prompt: "a fox", seed: -1 });
    expect(extraArgs(lastImageCall().prompt)).toEqual({ seed: random.seed });
  });

  it("sends diffusers' field names to a diffusers-style server, prompt untouched", async () => {
    const reply = await generate({
      model: "omni/sdxl-turbo",
      prompt: "a red bicycle",
      width: 256,
      height: 256,
      ...allOptions,
      scheduler: "euler_a",
    });
    expect(reply).toMatchObject({ model: "omni/sdxl-turbo", seed: 42, ignored: [] });
    expect(lastImageCall()).toEqual({
      model: "sdxl-turbo",
      prompt: "a red bicycle",
      response_format: "b64_json",
      size: "256x256",
      negative_prompt: "blurry, text",
      num_inference_steps: 12,
      guidance_scale: 4.5,
      scheduler: "euler_a",
      seed: 42,
    });
  });

  it("sends only OpenAI's parameters to a plain OpenAI-compatible provider and reports the rest as ignored", async () => {
    const reply = await generate({ model: "oai/sdxl-turbo", prompt: "a teapot", width: 1024, height: 1024, ...allOptions });
    expect(reply.seed).toBeNull();
    expect(reply.ignored).toEqual(["negative_prompt", "steps", "guidance_scale", "scheduler", "seed"]);
    expect(reply.images).toHaveLength(1);
    expect(lastImageCall()).toEqual({ model: "sdxl-turbo", prompt: "a teapot", response_format: "b64_json", size: "1024x1024" });
  });

  it("generates through a route, and /v1/images/generations shares the path without sending extras", async () => {
    const routed = await generate({ model: "paint", prompt: "a kite" });
    expect(routed.model).toBe("paint");
    expect(routed.images).toHaveLength(1);

    const openai = await post("/v1/images/generations", { model: "sd/sdxl-turbo", prompt: "a kite", response_format: "b64_json" });
    expect(openai.status).toBe(200);
    expect((openai.body.data as { b64_json: string }[])[0]?.b64_json.length).toBeGreaterThan(0);
    expect(lastImageCall()).toEqual({ model: "sdxl-turbo", prompt: "a kite", response_format: "b64_json" });
  });

  it("picks the first image model when the request names none", async () => {
    const reply = await generate({ prompt: "anything" });
    expect(reply.model).toMatch(/\/sdxl-turbo$/);
  });

  it("answers bad input with a 400 in OpenAI's shape and sends nothing upstream", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ negative_prompt: "no prompt" }, /prompt/],
      [{ prompt: "" }, /prompt/],
      [{ prompt: 42 }, /prompt/],
      [{ prompt: "x", steps: "20" }, /steps/],
      [{ prompt: "x", steps: 0 }, /steps/],
      [{ prompt: "x", guidance_scale: "high" }, /guidance_scale/],
      [{ prompt: "x", n: 11 }, /n/],
      [{ prompt: "x", n: 1.5 }, /n/],
      [{ prompt: "x", width: 512 }, /width and height together/],
      [{ prompt: "x", width: 500, height: 512 }, /width/],
      [{ prompt: "x", width: 8192, height: 512 }, /width/],
      [{ prompt: "x", seed: -2 }, /seed/],
      [{ prompt: "x", seed: "42" }, /seed/],
      [{ prompt: "x", sampler_name: "Euler a" }, /sampler_name/],
    ];
    const before = imageCalls().length;
    for (const [body, message] of cases) {
      const reply = await post("/v1/generate", { model: "sd/sdxl-turbo", ...body });
      expect(reply.status, JSON.stringify(body)).toBe(400);
      const error = reply.body.error as { message: string; type: string; code: string };
      expect(error.type).toBe("invalid_request_error");
      expect(error.code).toBe("invalid_request");
      expect(error.message, JSON.stringify(body)).toMatch(message);
    }

    const unknownScheduler = await post("/v1/generate", { model: "sd/sdxl-turbo", prompt: "x", scheduler: "karras" });
    expect(unknownScheduler.status).toBe(400);
    const schedulerError = unknownScheduler.body.error as { message: string; param: string };
    expect(schedulerError.message).toMatch(/unknown scheduler; valid: euler, euler_a, heun, .*dpmpp_2m.*ddim/);
    expect(schedulerError.param).toBe("scheduler");

    const malformed = await fetch(`${station.url}/v1/generate`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(malformed.status).toBe(400);
    expect(imageCalls().length).toBe(before);
  });

  it("refuses models that cannot generate images, and unknown models", async () => {
    const before = imageCalls().length;
    const chatModel = await post("/v1/generate", { model: "oai/gpt-test", prompt: "x" });
    expect(chatModel.status).toBe(400);
    expect((chatModel.body.error as { message: string }).message).toMatch(/cannot generate images/);
    const unknown = await post("/v1/generate", { model: "sd/no-such-model", prompt: "x" });
    expect(unknown.status).toBe(404);
    expect((unknown.body.error as { code: string }).code).toBe("model_not_found");
    expect(imageCalls().length).toBe(before);
    expect((await fetch(`${station.url}/health`)).status).toBe(200);
  });

  it("passes upstream failures on in OpenAI's shape", async () => {
    upstream.fail({ kind: "status", status: 400, message: "prompt rejected by the safety filter" });
    const reply = await post("/v1/generate", { model: "oai/sdxl-turbo", prompt: "x" });
    expect(reply.status).toBe(400);
    expect((reply.body.error as { message: string }).message).toMatch(/safety filter/);
  });

  it("lists the image models with what each does with a scheduler", async () => {
    const response = await fetch(`${station.url}/v1/schedulers`);
    expect(response.status).toBe(200);
    const catalog = (await response.json()) as SchedulersReply;
    expect(catalog.default).toBeNull();
    expect(catalog.schedulers.map((scheduler) => scheduler.name)).toEqual(
      expect.arrayContaining(["euler", "euler_a", "dpmpp_2m", "ddim", "lcm"]),
    );
    for (const scheduler of catalog.schedulers) expect(scheduler.label.length).toBeGreaterThan(0);
    const byModel = Object.fromEntries(catalog.models.map((model) => [model.model, model]));
    expect(Object.keys(byModel).sort()).toEqual(["oai/sdxl-turbo", "omni/sdxl-turbo", "paint", "sd/sdxl-turbo"]);
    const all = ["negative_prompt", "steps", "guidance_scale", "scheduler", "seed"];
    expect(byModel["sd/sdxl-turbo"]).toMatchObject({ dialect: "sd-cpp", scheduler_support: "honoured", default: null, parameters: all });
    expect(byModel["sd/sdxl-turbo"]?.schedulers).toHaveLength(catalog.schedulers.length);
    expect(byModel["omni/sdxl-turbo"]).toMatchObject({ dialect: "diffusers", scheduler_support: "passed-through", parameters: all });
    expect(byModel["oai/sdxl-turbo"]).toMatchObject({ dialect: "openai", scheduler_support: "ignored", schedulers: [], parameters: [] });
    // A route is as capable as its weakest target.
    expect(byModel.paint).toMatchObject({ dialect: "mixed", scheduler_support: "passed-through", parameters: all });
  });

  it("is described in the OpenAPI document", async () => {
    const document = (await (await fetch(`${station.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(["/v1/generate", "/v1/schedulers"]));
  });
});

describe("image generation without an image model", () => {
  let upstream: FakeOpenAiUpstream;
  let station: TestStation;

  beforeAll(async () => {
    upstream = await startFakeOpenAiUpstream({ models: ["gpt-test"] });
    station = await startTestStation({ config: { providers: [{ id: "oai", type: "openai", baseUrl: upstream.url }] } });
  });
  afterAll(async () => {
    await station?.close();
    await upstream?.close();
  });

  it("says there is none, as /v1/images/generations does, and lists no models", async () => {
    for (const path of ["/v1/generate", "/v1/images/generations"]) {
      const response = await fetch(`${station.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ prompt: "a cat" }),
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { message: string; param: string } };
      expect(body.error.message).toMatch(/No image generation model is available/);
      expect(body.error.param).toBe("model");
    }
    const catalog = (await (await fetch(`${station.url}/v1/schedulers`)).json()) as SchedulersReply;
    expect(catalog.models).toEqual([]);
    expect(catalog.schedulers.length).toBeGreaterThan(0);
    expect(upstream.requests.filter((request) => request.method === "POST")).toEqual([]);
  });
});

/** An OpenAI-compatible server whose image replies are 200s of the wrong shape. */
describe("image generation from an upstream that answers 200 without images", () => {
  let reply = "";
  let upstream: Server;
  let station: TestStation;

  beforeAll(async () => {
    upstream = createServer((request, response) => {
      request.resume();
      request.on("end", () => {
        response.setHeader("content-type", "application/json");
        response.end(request.url?.endsWith("/models") ? JSON.stringify({ object: "list", data: [{ id: "img" }] }) : reply);
      });
    });
    await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
    const { port } = upstream.address() as AddressInfo;
    station = await startTestStation({
      config: {
        providers: [
          {
            id: "odd",
            type: "openai",
            baseUrl: `http://127.0.0.1:${port}/v1`,
            // Every case is a failure: keep the circuit closed so each one reaches the upstream.
            retry: { attempts: 1 },
            cooldown: { minimumCalls: 1000 },
            models: [{ name: "img", capabilities: ["images"] }],
          },
        ],
      },
    });
  });
  afterAll(async () => {
    await station?.close();
    await new Promise((resolve) => upstream?.close(resolve));
  });

  it.each([
    ["no data", { created: 1 }],
    ["a null entry", { created: 1, data: [null] }],
    ["data that is not a list", { created: 1, data: "nope" }],
    ["b64_json that is not a string", { created: 1, data: [{ b64_json: 12345 }] }],
    ["a URL instead of b64_json", { created: 1, data: [{ url: "https://example.com/cat.png" }] }],
    ["a reply that is not an object", null],
  ])("%s → 502 upstream_error in the surface's shape, and the server carries on", async (_name, body) => {
    reply = JSON.stringify(body);
    for (const path of ["/v1/generate", "/v1/images/generations"]) {
      const response = await fetch(`${station.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: "odd/img", prompt: "a cat" }),
      });
      const error = ((await response.json()) as { error: { type: string; code: string; message: string } }).error;
      expect(response.status, JSON.stringify(error)).toBe(502);
      expect(error).toMatchObject({ type: "server_error", code: "upstream_error" });
      expect(error.message).toMatch(/odd answered \/images\/generations with no image/);
    }
    expect((await fetch(`${station.url}/health`)).status).toBe(200);
  });
});
