import type { ProviderConfig } from "../../config/schema.ts";
import { isStationError } from "../../errors/station-error.ts";
import { isRetryableStatus, UpstreamError } from "../../errors/upstream-error.ts";
import type { ImagePart } from "../spec/chat-model.ts";
import type { Capability, ModelInfo, Provider } from "../spec/provider.ts";
import type { BoundingBox, Point, VisionModel } from "../spec/vision-model.ts";
import { readMoondreamStream } from "./read-moondream-stream.ts";

export type MoondreamProviderConfig = Extract<ProviderConfig, { type: "moondream" }>;

export interface MoondreamProviderOptions {
  fetch?: typeof fetch;
}

const defaultModel = "moondream";
const defaultCapabilities: Capability[] = ["vision", "detect", "point"];

/**
 * Moondream Cloud (api.moondream.ai/v1) or a Moondream Station: caption, query, detect and
 * point passed through as-is, authenticated with `X-Moondream-Auth`. The API has no model
 * list, so the provider lists the models named in its config (default: one, "moondream").
 */
export function createMoondreamProvider(config: MoondreamProviderConfig, options: MoondreamProviderOptions = {}): Provider {
  const fetchImpl = options.fetch ?? fetch;
  const baseUrl = config.baseUrl.replace(/\/+$/, "");
  const headers: Record<string, string> = { "content-type": "application/json", ...(config.headers ?? {}) };
  if (config.apiKey !== undefined && config.apiKey.length > 0) headers["x-moondream-auth"] = config.apiKey;

  const post = async (path: string, body: Record<string, unknown>, signal: AbortSignal | undefined): Promise<Response> => {
    const url = `${baseUrl}${path}`;
    const timeout = AbortSignal.timeout(config.timeoutMs);
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method: "POST",
        headers,
        body: JSON.stringify(body),
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new UpstreamError({
        provider: config.id,
        url,
        message: timeout.aborted ? `Moondream did not answer within ${config.timeoutMs} ms` : `Could not reach Moondream at ${baseUrl}`,
        statusCode: timeout.aborted ? 408 : undefined,
        isRetryable: true,
        cause: error,
      });
    }
    if (!response.ok) {
      const text = (await response.text().catch(() => "")).slice(0, 500);
      const retryAfter = Number(response.headers.get("retry-after"));
      throw new UpstreamError({
        provider: config.id,
        url,
        statusCode: response.status,
        responseBody: text,
        message: `Moondream answered HTTP ${response.status}: ${upstreamMessage(text)}`,
        isRetryable: isRetryableStatus(response.status),
        retryAfterSeconds: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
      });
    }
    return response;
  };

  async function* streamed(path: string, body: Record<string, unknown>, signal: AbortSignal | undefined): AsyncIterable<string> {
    const response = await post(path, { ...body, stream: true }, signal);
    if (response.body === null) return;
    try {
      yield* readMoondreamStream(
        response.body,
        (detail) =>
          new UpstreamError({
            provider: config.id,
            url: `${baseUrl}${path}`,
            message: `Moondream ${detail}`,
            code: "upstream_error",
            isRetryable: true,
            streamStarted: true,
          }),
      );
    } catch (error) {
      if (signal?.aborted || isStationError(error)) throw error;
      throw new UpstreamError({
        provider: config.id,
        message: `The Moondream stream broke: ${(error as Error).message}`,
        isRetryable: true,
        streamStarted: true,
        cause: error,
      });
    }
  }

  const json = async <T>(path: string, body: Record<string, unknown>, signal: AbortSignal | undefined): Promise<T> =>
    (await (await post(path, body, signal)).json()) as T;

  const visionModel = (modelName: string): VisionModel => ({
    id: `${config.id}/${modelName}`,
    caption: (request) => streamed("/caption", { image_url: dataUrl(request.image), length: request.length }, request.signal),
    query: (request) =>
      streamed(
        "/query",
        {
          image_url: dataUrl(request.image),
          question: request.question,
          ...(request.reasoning === undefined ? {} : { reasoning: request.reasoning }),
        },
        request.signal,
      ),
    async detect(request) {
      const answer = await json<{ objects?: BoundingBox[] }>(
        "/detect",
        { image_url: dataUrl(request.image), object: request.object },
        request.signal,
      );
      return answer.objects ?? [];
    },
    async point(request) {
      const answer = await json<{ points?: Point[] }>(
        "/point",
        { image_url: dataUrl(request.image), object: request.object },
        request.signal,
      );
      return answer.points ?? [];
    },
  });

  const models: ModelInfo[] = (config.models ?? [{ name: defaultModel }]).map((model) => ({
    id: `${config.id}/${model.name}`,
    providerId: config.id,
    name: model.name,
    capabilities: model.capabilities ?? defaultCapabilities,
    state: "available",
  }));

  return {
    id: config.id,
    type: "moondream",
    async listModels() {
      return models;
    },
    async health(signal) {
      const started = Date.now();
      try {
        // Any HTTP answer means the server is up; Moondream has no dedicated health route.
        await fetchImpl(baseUrl, { method: "GET", headers, signal: signal ?? AbortSignal.timeout(config.connectTimeoutMs) });
        return { status: "ok", latencyMs: Date.now() - started };
      } catch (error) {
        return { status: "down", detail: `cannot reach ${baseUrl}: ${(error as Error).message}` };
      }
    },
    visionModel,
  };
}

function dataUrl(image: ImagePart): string {
  return `data:${image.mediaType};base64,${Buffer.from(image.data).toString("base64")}`;
}

function upstreamMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: string } | string; detail?: string };
    if (typeof parsed.error === "string") return parsed.error;
    return parsed.error?.message ?? parsed.detail ?? body.slice(0, 200);
  } catch {
    return body.slice(0, 200) || "(empty body)";
  }
}
