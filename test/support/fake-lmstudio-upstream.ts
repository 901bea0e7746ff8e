/**
 * A fake LM Studio server: the native REST API (/api/v1 of LM Studio 0.4+, or only /api/v0 of
 * 0.3.x) plus its OpenAI-compatible /v1 (served by an embedded fake OpenAI upstream), with
 * optional bearer-token auth on everything.
 *
 *   const lms = await startFakeLmStudioUpstream({ apiVersion: "v1", token: "secret" });
 *   lms.url         // "http://127.0.0.1:PORT"
 *   lms.requests    // native and /v1 requests alike
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type FakeOpenAiUpstream, type RecordedRequest, startFakeOpenAiUpstream } from "./fake-openai-upstream.ts";

export interface FakeLmStudioModel {
  key: string;
  type: "llm" | "vlm" | "embedding";
  contextLength: number;
  loaded: boolean;
  tools?: boolean;
}

export interface FakeLmStudioOptions {
  /** "v1": LM Studio 0.4+ (both APIs); "v0": 0.3.x, /api/v1 answers 404. */
  apiVersion?: "v1" | "v0";
  /** When set, every request needs `Authorization: Bearer <token>`. */
  token?: string;
  models?: FakeLmStudioModel[];
}

export interface FakeLmStudioUpstream {
  url: string;
  requests: RecordedRequest[];
  openai: FakeOpenAiUpstream;
  models: FakeLmStudioModel[];
  close(): Promise<void>;
}

export const defaultLmStudioModels: FakeLmStudioModel[] = [
  { key: "qwen2.5-7b-instruct", type: "llm", contextLength: 32_768, loaded: true, tools: true },
  { key: "qwen2-vl-7b-instruct", type: "vlm", contextLength: 32_768, loaded: false },
  { key: "text-embedding-nomic-embed-text-v1.5", type: "embedding", contextLength: 2048, loaded: false },
];

export async function startFakeLmStudioUpstream(options: FakeLmStudioOptions = {}): Promise<FakeLmStudioUpstream> {
  const apiVersion = options.apiVersion ?? "v1";
  const models = structuredClone(options.models ?? defaultLmStudioModels);
  const openai = await startFakeOpenAiUpstream({ models: models.map((model) => model.key) });
  const requests: RecordedRequest[] = [];
  let instanceCounter = 0;
  const instances = new Map<string, string[]>(models.filter((model) => model.loaded).map((model) => [model.key, [model.key]]));

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const raw = Buffer.concat(chunks);
      const path = (request.url ?? "/").split("?", 1)[0] ?? "/";
      const body = raw.length > 0 ? (JSON.parse(raw.toString("utf8")) as Record<string, unknown>) : undefined;
      requests.push({ method: request.method ?? "GET", path, headers: request.headers, body });
      if (options.token !== undefined && request.headers.authorization !== `Bearer ${options.token}`) {
        return json(response, 401, { error: { message: "Invalid or missing API token", type: "invalid_request_error" } });
      }
      if (path.startsWith("/v1/")) return void forward(request, raw, response);
      void handleNative(request.method ?? "GET", path, body, response);
    });
  });

  async function handleNative(
    method: string,
    path: string,
    body: Record<string, unknown> | undefined,
    response: ServerResponse,
  ): Promise<void> {
    if (path.startsWith("/api/v1/") && apiVersion === "v0") return json(response, 404, { error: "Unexpected endpoint or method." });
    if (method === "GET" && path === "/api/v1/models") {
      return json(response, 200, {
        models: models.map((model) => ({
          type: model.type === "embedding" ? "embedding" : "llm",
          publisher: "lmstudio-community",
          key: model.key,
          display_name: model.key,
          architecture: "qwen2",
          quantization: { name: "Q4_K_M", bits_per_weight: 4 },
          size_bytes: 4_683_073_888,
          params_string: "7B",
          loaded_instances: (instances.get(model.key) ?? []).map((id) => ({ id, config: { context_length: 4096 } })),
          max_context_length: model.contextLength,
          format: "gguf",
          capabilities: { vision: model.type === "vlm", trained_for_tool_use: model.tools === true },
        })),
      });
    }
    if (method === "GET" && path === "/api/v0/models") {
      return json(response, 200, {
        object: "list",
        data: models.map((model) => ({
          id: model.key,
          object: "model",
          type: model.type === "embedding" ? "embeddings" : model.type,
          publisher: "lmstudio-community",
          arch: "qwen2",
          compatibility_type: "gguf",
          quantization: "Q4_K_M",
          state: (instances.get(model.key) ?? []).length > 0 ? "loaded" : "not-loaded",
          max_context_length: model.contextLength,
          ...(model.tools ? { capabilities: ["tool_use"] } : {}),
        })),
      });
    }
    if (method === "POST" && path === "/api/v1/models/load") {
      const key = String(body?.model);
      if (!models.some((model) => model.key === key)) return json(response, 404, { error: `model ${key} not found` });
      const id = `${key}:${++instanceCounter}`;
      instances.set(key, [...(instances.get(key) ?? []), id]);
      return json(response, 200, { type: "llm", instance_id: id, status: "loaded", load_time_seconds: 1.2 });
    }
    if (method === "POST" && path === "/api/v1/models/unload") {
      const id = String(body?.instance_id);
      for (const [key, ids] of instances)
        instances.set(
          key,
          ids.filter((existing) => existing !== id),
        );
      return json(response, 200, { instance_id: id });
    }
    json(response, 404, { error: "Unexpected endpoint or method." });
  }

  async function forward(request: IncomingMessage, raw: Buffer, response: ServerResponse): Promise<void> {
    const upstream = await fetch(`${openai.origin}${request.url}`, {
      method: request.method ?? "GET",
      headers: { "content-type": "application/json" },
      ...(raw.length > 0 ? { body: raw } : {}),
    });
    response.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "application/json" });
    if (upstream.body !== null) for await (const chunk of upstream.body) response.write(chunk);
    response.end();
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    openai,
    models,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await openai.close();
    },
  };
}

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}
