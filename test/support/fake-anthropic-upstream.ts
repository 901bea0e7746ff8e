/**
 * A fake Anthropic Messages API that speaks the protocol byte for byte as api.anthropic.com does:
 * GET /v1/models, POST /v1/messages (JSON, or the event stream: message_start, content_block_start,
 * ping, content_block_delta text_delta / input_json_delta, content_block_stop, message_delta,
 * message_stop), `x-api-key` and `anthropic-version` required, errors as {type:"error", error}.
 *
 *   const upstream = await startFakeAnthropicUpstream({ models: ["claude-test"], apiKey: "sk-ant-test" });
 *   upstream.script({ text: "Hi", toolCalls: [{ name: "lookup", input: { q: "x" } }] });
 *   await upstream.close();
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface FakeAnthropicScript {
  text?: string;
  toolCalls?: { name: string; input: Record<string, unknown> }[];
  /** Characters per text_delta (and per input_json_delta). */
  chunkSize?: number;
  /** Ends the stream after the first text delta with an `error` event (overloaded_error). */
  failMidStream?: boolean;
}

export interface RecordedAnthropicRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown> | undefined;
}

export interface FakeAnthropicUpstream {
  url: string;
  requests: RecordedAnthropicRequest[];
  script(script: FakeAnthropicScript): void;
  close(): Promise<void>;
}

const inputTokens = 11;

function sendError(response: ServerResponse, status: number, type: string, message: string): void {
  response.writeHead(status, { "content-type": "application/json", "request-id": "req_fake" });
  response.end(JSON.stringify({ type: "error", error: { type, message } }));
}

function chunks(text: string, size: number): string[] {
  const pieces: string[] = [];
  for (let index = 0; index < text.length; index += size) pieces.push(text.slice(index, index + size));
  return pieces;
}

export async function startFakeAnthropicUpstream(options: { models?: string[]; apiKey?: string } = {}): Promise<FakeAnthropicUpstream> {
  const models = options.models ?? ["claude-test"];
  const requests: RecordedAnthropicRequest[] = [];
  const sockets = new Set<Socket>();
  let script: FakeAnthropicScript = {};
  let sequence = 0;

  const handle = (
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    body: Record<string, unknown> | undefined,
    response: ServerResponse,
  ) => {
    if (options.apiKey !== undefined && headers["x-api-key"] !== options.apiKey) {
      return sendError(response, 401, "authentication_error", "invalid x-api-key");
    }
    if (typeof headers["anthropic-version"] !== "string") {
      return sendError(response, 400, "invalid_request_error", "anthropic-version: header is required");
    }
    if (method === "GET" && path === "/v1/models") {
      const data = models.map((id) => ({ type: "model", id, display_name: id, created_at: "2025-01-01T00:00:00Z" }));
      response.writeHead(200, { "content-type": "application/json" });
      return response.end(JSON.stringify({ data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null }));
    }
    if (method !== "POST" || path !== "/v1/messages") return sendError(response, 404, "not_found_error", `Not found: ${method} ${path}`);
    if (body === undefined || typeof body.model !== "string" || !models.includes(body.model)) {
      return sendError(response, 404, "not_found_error", `model: ${String(body?.model)}`);
    }
    if (typeof body.max_tokens !== "number") return sendError(response, 400, "invalid_request_error", "max_tokens: Field required");
    const id = `msg_fake${++sequence}`;
    const text = script.text ?? "Hello from the fake Anthropic upstream.";
    const calls = (script.toolCalls ?? []).map((call, index) => ({ id: `toolu_fake${sequence}_${index}`, ...call }));
    const stopReason = calls.length > 0 ? "tool_use" : "end_turn";
    const outputTokens = Math.max(1, Math.ceil(text.length / 4));
    if (body.stream !== true) {
      const content = [
        ...(text.length > 0 ? [{ type: "text", text }] : []),
        ...calls.map((call) => ({ type: "tool_use", id: call.id, name: call.name, input: call.input })),
      ];
      response.writeHead(200, { "content-type": "application/json", "request-id": "req_fake" });
      return response.end(
        JSON.stringify({
          id,
          type: "message",
          role: "assistant",
          model: body.model,
          content,
          stop_reason: stopReason,
          stop_sequence: null,
          usage: { input_tokens: inputTokens, output_tokens: outputTokens },
        }),
      );
    }
    response.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "request-id": "req_fake" });
    const event = (name: string, data: Record<string, unknown>) =>
      response.write(`event: ${name}\ndata: ${JSON.stringify({ type: name, ...data })}\n\n`);
    const size = script.chunkSize ?? 8;
    event("message_start", {
      message: {
        id,
        type: "message",
        role: "assistant",
        model: body.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: inputTokens, output_tokens: 1 },
      },
    });
    let index = 0;
    if (text.length > 0) {
      event("content_block_start", { index, content_block: { type: "text", text: "" } });
      event("ping", {});
      for (const piece of chunks(text, size)) {
        event("content_block_delta", { index, delta: { type: "text_delta", text: piece } });
        if (script.failMidStream === true) {
          event("error", { error: { type: "overloaded_error", message: "Overloaded" } });
          return response.end();
        }
      }
      event("content_block_stop", { index });
      index++;
    }
    for (const call of calls) {
      event("content_block_start", { index, content_block: { type: "tool_use", id: call.id, name: call.name, input: {} } });
      for (const piece of chunks(JSON.stringify(call.input), size)) {
        event("content_block_delta", { index, delta: { type: "input_json_delta", partial_json: piece } });
      }
      event("content_block_stop", { index });
      index++;
    }
    event("message_delta", { delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } });
    event("message_stop", {});
    response.end();
  };

  const server = createServer((request, response) => {
    const received: Buffer[] = [];
    request.on("data", (chunk: Buffer) => received.push(chunk));
    request.on("end", () => {
      const text = Buffer.concat(received).toString("utf8");
      let body: Record<string, unknown> | undefined;
      try {
        body = text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      } catch {
        return sendError(response, 400, "invalid_request_error", "invalid JSON");
      }
      const path = (request.url ?? "/").split("?", 1)[0] ?? "/";
      requests.push({ method: request.method ?? "GET", path, headers: request.headers, body });
      handle(request.method ?? "GET", path, request.headers, body, response);
    });
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script(next) {
      script = next;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
