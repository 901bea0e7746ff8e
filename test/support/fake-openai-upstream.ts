/**
 * A fake OpenAI-compatible server (OpenAI, vLLM, llama.cpp server, LM Studio /v1) that speaks the
 * wire format byte for byte: chat completions (JSON and SSE, tool-call deltas, usage chunks),
 * Responses (POST /responses, JSON and its event stream: see fake-responses-reply.ts; the responses
 * it made, unless `store: false`, answer GET and DELETE /responses/{id} and GET .../input_items),
 * embeddings (float and base64), image generations and the model list. Faults can be queued to
 * exercise retries, fallback and cooldown.
 *
 *   const upstream = await startFakeOpenAiUpstream({ models: ["gpt-test"] });
 *   upstream.url                                   // "http://127.0.0.1:PORT/v1" — use as a provider baseUrl
 *   upstream.script({ text: "Hi", toolCalls: [] }) // what the next chat replies say (sticky)
 *   upstream.fail({ kind: "status", status: 429, retryAfter: 1 })  // the next request fails so
 *   upstream.flaky({ rate: 0.3, seed: 7 })         // from now on, that share of POSTs answers 500 (seeded, repeatable)
 *   upstream.requests                              // every request received: method, path, headers, body
 *   upstream.aborted                               // requests the client hung up on before the reply ended
 *   await upstream.close()
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { fakeInputItems, fakeResponseEvents, fakeResponseObject } from "./fake-responses-reply.ts";

export interface FakeToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface FakeChatScript {
  /** Reply text (default: "Hello from <model>!"). */
  text?: string;
  /** Tool calls to return instead of (or after) text. */
  toolCalls?: FakeToolCall[];
  /** Characters per streamed content chunk (default 4). Tool arguments stream in the same size. */
  chunkSize?: number;
  /** Delay between streamed chunks, ms (default 0). */
  chunkDelayMs?: number;
  finishReason?: string;
  /** Reasoning sent before the text as `reasoning_content` (DeepSeek, vLLM, llama.cpp server). */
  reasoning?: string;
}

export type FakeFault =
  /** Answer with this HTTP status and an OpenAI-shaped error body. */
  | { kind: "status"; status: number; retryAfter?: number; message?: string }
  /** Destroy the socket without answering (ECONNRESET / "socket hang up" for the client). */
  | { kind: "reset" }
  /** Stream `afterChunks` chunks, then destroy the socket mid-reply (a JSON reply: cut in half). */
  | { kind: "die-midway"; afterChunks: number }
  /** Wait `delayMs` before answering (the client may give up: see `aborted`). */
  | { kind: "slow"; delayMs: number }
  /** Answer 200 with the headers and the first bytes of a JSON body, then send nothing more until the client hangs up. */
  | { kind: "stall" }
  /** Answer 200 with exactly this body (a broken or incomplete reply). */
  | { kind: "body"; body: string }
  /**
   * Stream `afterChunks` chunks, then write `tail` as is (`data: {"error": ...}`, a chunk that is
   * not JSON, or "" for a stream that just stops) and end the reply cleanly, without `[DONE]`.
   */
  | { kind: "stream-tail"; afterChunks: number; tail: string };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage["headers"];
  /** Parsed JSON body (undefined for GET). */
  body: Record<string, unknown> | undefined;
}

export interface FakeOpenAiUpstreamOptions {
  /** Model ids listed by GET /models (default ["gpt-test", "text-embedding-test"]). */
  models?: string[];
  /** Embedding vector length (default 8). */
  dimensions?: number;
  /** Keep request records (default true; the benchmark turns this off). */
  record?: boolean;
  port?: number;
}

export interface FakeOpenAiUpstream {
  /** Base URL including "/v1". */
  url: string;
  /** Origin without a path, e.g. "http://127.0.0.1:PORT". */
  origin: string;
  requests: RecordedRequest[];
  /** Requests whose client disconnected before the reply was complete. */
  readonly aborted: number;
  /** Sets the scripted chat reply (applies to every later chat request). */
  script(script: FakeChatScript): void;
  /** Queues a fault: each queued fault is used by exactly one later POST (model call), in order. */
  fail(fault: FakeFault, times?: number): void;
  /**
   * Every later POST without a queued fault answers 500 with probability `rate`, drawn from a
   * seeded generator: the same requests in the same order fail the same way on every run.
   * `rate: 0` stops it.
   */
  flaky(options: { rate: number; seed: number }): void;
  /** Resolves when `aborted` reaches `count`. */
  waitForAborts(count: number): Promise<void>;
  close(): Promise<void>;
}

const created = 1_700_000_000;

export async function startFakeOpenAiUpstream(options: FakeOpenAiUpstreamOptions = {}): Promise<FakeOpenAiUpstream> {
  const models = options.models ?? ["gpt-test", "text-embedding-test"];
  const dimensions = options.dimensions ?? 8;
  const record = options.record ?? true;
  const requests: RecordedRequest[] = [];
  const faults: FakeFault[] = [];
  const sockets = new Set<Socket>();
  let chatScript: FakeChatScript = {};
  let aborted = 0;
  let abortWaiters: { count: number; resolve: () => void }[] = [];
  let sequence = 0;
  let flakiness: { rate: number; random: () => number } | undefined;
  const storedResponses = new Map<string, { response: Record<string, unknown>; input: unknown }>();

  const noteAbort = (): void => {
    aborted++;
    const ready = abortWaiters.filter((waiter) => aborted >= waiter.count);
    abortWaiters = abortWaiters.filter((waiter) => aborted < waiter.count);
    for (const waiter of ready) waiter.resolve();
  };

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: Record<string, unknown> | undefined;
      try {
        body = text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      } catch {
        return sendJson(response, 400, { error: { message: "invalid JSON", type: "invalid_request_error", param: null, code: null } });
      }
      const path = (request.url ?? "/").split("?", 1)[0] ?? "/";
      if (record) requests.push({ method: request.method ?? "GET", path, headers: request.headers, body });
      let finished = false;
      response.on("finish", () => {
        finished = true;
      });
      response.on("close", () => {
        if (!finished) noteAbort();
      });
      // Faults target model calls (POST); discovery (GET /models) running in the background must not eat them.
      let fault = request.method === "POST" ? faults.shift() : undefined;
      if (fault === undefined && request.method === "POST" && flakiness !== undefined && flakiness.random() < flakiness.rate) {
        fault = { kind: "status", status: 500, message: "flaky upstream" };
      }
      void handle(request.method ?? "GET", path, body, response, fault);
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.keepAliveTimeout = 60_000;

  async function handle(
    method: string,
    path: string,
    body: Record<string, unknown> | undefined,
    response: ServerResponse,
    fault: FakeFault | undefined,
  ): Promise<void> {
    if (fault?.kind === "reset") {
      response.socket?.destroy();
      return;
    }
    if (fault?.kind === "slow") {
      const closed = await Promise.race([delay(fault.delayMs).then(() => false), onceClosed(response).then(() => true)]);
      if (closed) return;
    }
    if (fault?.kind === "stall") {
      response.writeHead(200, { "content-type": "application/json", "content-length": 4096 });
      response.write('{"id":"chatcmpl-stalled","object":"chat.completion","choices":[');
      await onceClosed(response);
      return;
    }
    if (fault?.kind === "body") {
      response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(fault.body) });
      response.end(fault.body);
      return;
    }
    if (fault?.kind === "status") {
      const headers: Record<string, string> = {};
      if (fault.retryAfter !== undefined) headers["retry-after"] = String(fault.retryAfter);
      return sendJson(
        response,
        fault.status,
        { error: { message: fault.message ?? `injected ${fault.status}`, type: "server_error", param: null, code: null } },
        headers,
      );
    }
    const route = path.replace(/^\/v1/, "");
    if (method === "GET" && route === "/models") {
      return sendJson(response, 200, { object: "list", data: models.map((id) => ({ id, object: "model", created, owned_by: "fake" })) });
    }
    if (method === "GET" && route.startsWith("/models/")) {
      const id = decodeURIComponent(route.slice("/models/".length));
      if (!models.includes(id)) return sendJson(response, 404, notFound(id));
      return sendJson(response, 200, { id, object: "model", created, owned_by: "fake" });
    }
    if (method === "POST" && route === "/chat/completions" && body !== undefined) {
      const model = String(body.model);
      if (!models.includes(model)) return sendJson(response, 404, notFound(model));
      const dieAfter = fault?.kind === "die-midway" ? fault.afterChunks : undefined;
      if (body.stream === true && fault?.kind === "stream-tail") return streamChat(response, body, fault.afterChunks, fault.tail);
      if (body.stream === true) return streamChat(response, body, dieAfter);
      if (dieAfter !== undefined) return sendHalfThenDie(response, chatCompletion(body));
      return sendJson(response, 200, chatCompletion(body));
    }
    if (method === "POST" && route === "/responses" && body !== undefined) {
      const model = String(body.model);
      if (!models.includes(model)) return sendJson(response, 404, notFound(model));
      const { text } = replyFor(body);
      const id = `resp_fake${++sequence}`;
      // As OpenAI does, a response is kept unless the request says store: false.
      if (body.store !== false) storedResponses.set(id, { response: fakeResponseObject(id, body, text, "completed"), input: body.input });
      if (body.stream !== true) return sendJson(response, 200, fakeResponseObject(id, body, text, "completed"));
      response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
      const events = fakeResponseEvents(id, body, text, chatScript.chunkSize ?? 4);
      if (fault?.kind === "die-midway") {
        // Before dying, make sure the events really left: the client must see a stream cut midway.
        for (const event of events.slice(0, fault.afterChunks)) await new Promise((resolve) => response.write(event, resolve));
        await delay(20);
        response.socket?.destroy();
        return;
      }
      for (const event of events) response.write(event);
      response.end();
      return;
    }
    const storedRoute = /^\/responses\/([^/?]+)(\/input_items)?(\?.*)?$/.exec(route);
    if (storedRoute !== null && (method === "GET" || method === "DELETE")) {
      const id = decodeURIComponent(storedRoute[1] as string);
      const stored = storedResponses.get(id);
      if (stored === undefined) {
        const error = { message: `Response with id '${id}' not found.`, type: "invalid_request_error", param: null, code: null };
        return sendJson(response, 404, { error });
      }
      if (method === "DELETE") {
        storedResponses.delete(id);
        return sendJson(response, 200, { id, object: "response", deleted: true });
      }
      if (storedRoute[2] === undefined) return sendJson(response, 200, stored.response);
      const items = fakeInputItems(id, stored.input);
      return sendJson(response, 200, {
        object: "list",
        data: items,
        first_id: items[0]?.id ?? null,
        last_id: items.at(-1)?.id ?? null,
        has_more: false,
      });
    }
    if (method === "POST" && route === "/embeddings" && body !== undefined) {
      return sendJson(response, 200, embeddings(body));
    }
    if (method === "POST" && route === "/images/generations" && body !== undefined) {
      const count = typeof body.n === "number" ? body.n : 1;
      const data = Array.from({ length: count }, () => ({ b64_json: onePixelPng, revised_prompt: String(body.prompt) }));
      return sendJson(response, 200, { created, data });
    }
    sendJson(response, 404, { error: { message: `no route ${method} ${path}`, type: "invalid_request_error", param: null, code: null } });
  }

  function replyFor(body: Record<string, unknown>): { text: string; toolCalls: FakeToolCall[]; finishReason: string } {
    const toolCalls = chatScript.toolCalls ?? [];
    const text = chatScript.text ?? (toolCalls.length > 0 ? "" : `Hello from ${String(body.model)}!`);
    const finishReason = chatScript.finishReason ?? (toolCalls.length > 0 ? "tool_calls" : "stop");
    return { text, toolCalls, finishReason };
  }

  function usageFor(body: Record<string, unknown>, text: string): Record<string, number> {
    const promptTokens = Math.max(1, Math.ceil(JSON.stringify(body.messages ?? "").length / 4));
    const completionTokens = Math.max(1, Math.ceil(text.length / 4));
    return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  }

  function chatCompletion(body: Record<string, unknown>): unknown {
    const { text, toolCalls, finishReason } = replyFor(body);
    return {
      id: `chatcmpl-fake${++sequence}`,
      object: "chat.completion",
      created,
      model: body.model,
      choices: [
        {
          index: 0,
          message: {
            role: "assistant",
            content: text.length > 0 || toolCalls.length === 0 ? text : null,
            ...(chatScript.reasoning === undefined ? {} : { reasoning_content: chatScript.reasoning }),
            refusal: null,
            ...(toolCalls.length > 0
              ? {
                  tool_calls: toolCalls.map((call) => ({
                    id: call.id,
                    type: "function",
                    function: { name: call.name, arguments: call.arguments },
                  })),
                }
              : {}),
          },
          logprobs: null,
          finish_reason: finishReason,
        },
      ],
      usage: usageFor(body, text),
      system_fingerprint: "fp_fake",
    };
  }

  async function streamChat(
    response: ServerResponse,
    body: Record<string, unknown>,
    dieAfter: number | undefined,
    tail?: string,
  ): Promise<void> {
    const { text, toolCalls, finishReason } = replyFor(body);
    const size = chatScript.chunkSize ?? 4;
    const pause = chatScript.chunkDelayMs ?? 0;
    const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
    const id = `chatcmpl-fake${++sequence}`;
    const head = `{"id":"${id}","object":"chat.completion.chunk","created":${created},"model":${JSON.stringify(body.model)},"system_fingerprint":"fp_fake",`;
    const usageField = includeUsage ? ',"usage":null' : "";
    const deltas: string[] = [];
    const choice = (delta: unknown, finish: string | null): string =>
      `${head}"choices":[{"index":0,"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${JSON.stringify(finish)}}]${usageField}}`;
    deltas.push(choice({ role: "assistant", content: toolCalls.length > 0 && text.length === 0 ? null : "", refusal: null }, null));
    const reasoning = chatScript.reasoning ?? "";
    for (let offset = 0; offset < reasoning.length; offset += size) {
      deltas.push(choice({ reasoning_content: reasoning.slice(offset, offset + size) }, null));
    }
    for (let offset = 0; offset < text.length; offset += size) deltas.push(choice({ content: text.slice(offset, offset + size) }, null));
    toolCalls.forEach((call, index) => {
      deltas.push(choice({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }] }, null));
      for (let offset = 0; offset < call.arguments.length; offset += size) {
        deltas.push(choice({ tool_calls: [{ index, function: { arguments: call.arguments.slice(offset, offset + size) } }] }, null));
      }
    });
    deltas.push(choice({}, finishReason));
    if (includeUsage) deltas.push(`${head}"choices":[],"usage":${JSON.stringify(usageFor(body, text))}}`);
    response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive" });
    for (const [index, delta] of deltas.entries()) {
      if (tail !== undefined && index >= (dieAfter ?? 0)) {
        response.end(tail);
        return;
      }
      if (tail === undefined && dieAfter !== undefined && index >= dieAfter) {
        await delay(20);
        response.socket?.destroy();
        return;
      }
      if (response.destroyed) return;
      if (dieAfter === undefined || tail !== undefined) response.write(`data: ${delta}\n\n`);
      // Before dying, make sure the chunks really left: the client must see a stream cut midway.
      else await new Promise((resolve) => response.write(`data: ${delta}\n\n`, resolve));
      if (pause > 0) await delay(pause);
    }
    response.end("data: [DONE]\n\n");
  }

  function embeddings(body: Record<string, unknown>): unknown {
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    const base64 = body.encoding_format === "base64";
    const data = inputs.map((input, index) => {
      const vector = embeddingOf(String(input), dimensions);
      return { object: "embedding", index, embedding: base64 ? Buffer.from(new Float32Array(vector).buffer).toString("base64") : vector };
    });
    const tokens = inputs.reduce<number>((sum, input) => sum + Math.max(1, Math.ceil(String(input).length / 4)), 0);
    return { object: "list", data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
  }

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/v1`,
    origin,
    requests,
    get aborted() {
      return aborted;
    },
    script(script) {
      chatScript = script;
    },
    fail(fault, times = 1) {
      for (let index = 0; index < times; index++) faults.push(fault);
    },
    flaky({ rate, seed }) {
      flakiness = rate > 0 ? { rate, random: mulberry32(seed) } : undefined;
    },
    waitForAborts(count) {
      if (aborted >= count) return Promise.resolve();
      return new Promise((resolve) => abortWaiters.push({ count, resolve }));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A deterministic unit-ish vector for a text, so tests can compare float and base64 answers. */
export function embeddingOf(text: string, dimensions = 8): number[] {
  const vector: number[] = [];
  for (let index = 0; index < dimensions; index++) {
    const code = text.charCodeAt(index % Math.max(1, text.length)) || 1;
    vector.push(Math.fround(((code * (index + 1)) % 97) / 97));
  }
  return vector;
}

/** A valid 1×1 PNG, base64. */
export const onePixelPng = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

function notFound(model: string): unknown {
  return {
    error: { message: `The model '${model}' does not exist`, type: "invalid_request_error", param: "model", code: "model_not_found" },
  };
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  response.end(text);
}

/** Promises a whole JSON body (Content-Length), sends half of it, then drops the connection. */
function sendHalfThenDie(response: ServerResponse, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.write(text.slice(0, Math.floor(text.length / 2)), () => response.socket?.destroy());
}

/** A small seeded PRNG (mulberry32): uniform in [0, 1), the same sequence for the same seed. */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function onceClosed(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => response.on("close", () => resolve()));
}
