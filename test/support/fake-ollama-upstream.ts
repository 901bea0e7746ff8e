/**
 * A fake Ollama server speaking the native API byte for byte: /api/chat (NDJSON stream or one
 * JSON object; tool calls; images as bare base64), /api/embed, /api/tags, /api/show
 * (capabilities, model_info context length), /api/ps, /api/version, /api/generate (load/unload).
 *
 *   const ollama = await startFakeOllamaUpstream();
 *   ollama.url        // "http://127.0.0.1:PORT" — use as the provider baseUrl
 *   ollama.requests   // every request: method, path, body
 */
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { RecordedRequest } from "./fake-openai-upstream.ts";

export interface FakeOllamaModel {
  name: string;
  capabilities: string[];
  contextLength?: number;
  loaded?: boolean;
}

export interface FakeOllamaUpstream {
  url: string;
  requests: RecordedRequest[];
  /** The next chat replies call these tools (Ollama sends each call whole, arguments as an object). */
  scriptToolCalls(calls: { name: string; arguments: Record<string, unknown> }[] | undefined): void;
  /** The next `count` /api/chat calls never answer; each counts in `aborted` when its client hangs up. */
  hang(count?: number): void;
  /** Hung calls whose client hung up. */
  readonly aborted: number;
  close(): Promise<void>;
}

export const defaultOllamaModels: FakeOllamaModel[] = [
  { name: "llama3.2:3b", capabilities: ["completion", "tools"], contextLength: 131_072, loaded: true },
  { name: "llava:7b", capabilities: ["completion", "vision"], contextLength: 4096 },
  { name: "nomic-embed-text:latest", capabilities: ["embedding"], contextLength: 2048 },
];

const at = "2026-01-01T00:00:00.000000Z";

export async function startFakeOllamaUpstream(models: FakeOllamaModel[] = defaultOllamaModels): Promise<FakeOllamaUpstream> {
  const requests: RecordedRequest[] = [];
  let toolCalls: { name: string; arguments: Record<string, unknown> }[] | undefined;
  let hangs = 0;
  let aborted = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      const body = text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      const path = (request.url ?? "/").split("?", 1)[0] ?? "/";
      requests.push({ method: request.method ?? "GET", path, headers: request.headers, body });
      void handle(request.method ?? "GET", path, body, response);
    });
  });

  const find = (name: unknown) => models.find((model) => model.name === name);

  async function handle(method: string, path: string, body: Record<string, unknown> | undefined, response: ServerResponse): Promise<void> {
    if (method === "GET" && path === "/api/version") return json(response, 200, { version: "0.12.0" });
    if (method === "GET" && path === "/api/tags") {
      return json(response, 200, {
        models: models.map((model) => ({
          name: model.name,
          model: model.name,
          modified_at: at,
          size: 2_000_000_000,
          digest: "sha256:fake",
          details: { format: "gguf", family: "llama", parameter_size: "3B", quantization_level: "Q4_K_M" },
        })),
      });
    }
    if (method === "GET" && path === "/api/ps") {
      return json(response, 200, {
        models: models.filter((model) => model.loaded).map((model) => ({ name: model.name, model: model.name, size_vram: 0 })),
      });
    }
    if (method === "POST" && path === "/api/show") {
      const model = find(body?.model);
      if (model === undefined) return json(response, 404, { error: `model '${String(body?.model)}' not found` });
      return json(response, 200, {
        capabilities: model.capabilities,
        model_info: {
          "general.architecture": "llama",
          ...(model.contextLength === undefined ? {} : { "llama.context_length": model.contextLength }),
        },
      });
    }
    if (method === "POST" && path === "/api/generate") {
      const model = find(body?.model);
      if (model === undefined) return json(response, 404, { error: "model not found" });
      model.loaded = body?.keep_alive !== 0;
      return json(response, 200, {
        model: model.name,
        created_at: at,
        response: "",
        done: true,
        done_reason: body?.keep_alive === 0 ? "unload" : "load",
      });
    }
    if (method === "POST" && path === "/api/embed") {
      const inputs = Array.isArray(body?.input) ? (body?.input as string[]) : [String(body?.input)];
      return json(response, 200, {
        model: body?.model,
        embeddings: inputs.map((input) => [input.length, 0.5, -0.25]),
        prompt_eval_count: inputs.length * 3,
      });
    }
    if (method === "POST" && path === "/api/chat" && body !== undefined && hangs > 0) {
      hangs--;
      response.on("close", () => {
        aborted++;
      });
      return;
    }
    if (method === "POST" && path === "/api/chat" && body !== undefined) {
      const model = find(body.model);
      if (model === undefined) return json(response, 404, { error: `model "${String(body.model)}" not found, try pulling it first` });
      const calls = toolCalls?.map((call) => ({ function: { name: call.name, arguments: call.arguments } }));
      const text = calls === undefined ? "Hello from Ollama!" : "";
      const final = {
        model: body.model,
        created_at: at,
        message: { role: "assistant", content: "" },
        done: true,
        done_reason: "stop",
        total_duration: 1000,
        prompt_eval_count: 12,
        eval_count: 5,
      };
      if (body.stream === false) {
        return json(response, 200, {
          ...final,
          message: { role: "assistant", content: text, ...(calls === undefined ? {} : { tool_calls: calls }) },
        });
      }
      response.writeHead(200, { "content-type": "application/x-ndjson" });
      for (const piece of text.match(/.{1,5}/g) ?? []) {
        response.write(
          `${JSON.stringify({ model: body.model, created_at: at, message: { role: "assistant", content: piece }, done: false })}\n`,
        );
      }
      if (calls !== undefined) {
        response.write(
          `${JSON.stringify({ model: body.model, created_at: at, message: { role: "assistant", content: "", tool_calls: calls }, done: false })}\n`,
        );
      }
      response.end(`${JSON.stringify(final)}\n`);
      return;
    }
    json(response, 404, { error: "not found" });
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    scriptToolCalls(calls) {
      toolCalls = calls;
    },
    hang(count = 1) {
      hangs += count;
    },
    get aborted() {
      return aborted;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function json(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(text) });
  response.end(text);
}
