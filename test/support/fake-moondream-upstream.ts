/**
 * A fake Moondream API (cloud api.moondream.ai/v1 or a Moondream Station) speaking the wire
 * format the official client and Station's moondream provider use: POST /v1/caption,
 * /v1/query (JSON or SSE `data: {"chunk": ...}` … `data: {"completed": true}`), /v1/detect,
 * /v1/point, `X-Moondream-Auth` checked when `apiKey` is set. Answers are deterministic and
 * mention the image's size, so tests can tell which image was seen.
 *
 *   const upstream = await startFakeMoondreamUpstream({ apiKey: "k" });
 *   upstream.url                    // "http://127.0.0.1:PORT/v1"
 *   upstream.fail(503, 2)           // the next two requests answer 503
 *   upstream.delayMs = 200          // every answer waits this long (a slow model)
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import sharp from "sharp";

export interface MoondreamRequestRecord {
  path: string;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown>;
  /** Decoded image: media type, byte length and dimensions. */
  image?: { mediaType: string; bytes: number; width: number; height: number };
}

export interface FakeMoondreamUpstream {
  url: string;
  requests: MoondreamRequestRecord[];
  delayMs: number;
  /** Pause between two streamed chunks (a slow model, so a client can hang up midway). */
  chunkDelayMs: number;
  /** The next `times` requests answer `status` with a Moondream-style error body. */
  fail(status: number, times?: number): void;
  /** The next streamed answer sends two chunks, then the connection drops. */
  breakNextStream(): void;
  /**
   * The next streamed answer sends two chunks, then `tail` as is (an `{"error": ...}` event, a
   * line that is not JSON, or "" for an end without `completed`), and ends the reply cleanly.
   */
  endNextStreamWith(tail: string): void;
  /** Total requests answered successfully per path. */
  served: Map<string, number>;
  close(): Promise<void>;
}

export interface FakeMoondreamOptions {
  apiKey?: string;
  delayMs?: number;
  port?: number;
  /** Keep request records (default true; benches turn it off). */
  record?: boolean;
}

export function captionFor(length: string, width: number, height: number): string {
  return `A ${length} caption of a ${width}x${height} image.`;
}

export async function startFakeMoondreamUpstream(options: FakeMoondreamOptions = {}): Promise<FakeMoondreamUpstream> {
  const faults: number[] = [];
  let breakStream = false;
  let streamTail: string | undefined;
  const requests: MoondreamRequestRecord[] = [];
  const served = new Map<string, number>();
  const state = { delayMs: options.delayMs ?? 0, chunkDelayMs: 0 };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? "/").split("?", 1)[0]!;
    const raw = await readBody(request);
    if (request.method !== "POST" || !["/v1/caption", "/v1/query", "/v1/detect", "/v1/point"].includes(path)) {
      return json(response, 404, { error: { message: `no route ${request.method} ${path}` } });
    }
    if (options.apiKey !== undefined && request.headers["x-moondream-auth"] !== options.apiKey) {
      return json(response, 401, { error: { message: "Invalid or missing X-Moondream-Auth" } });
    }
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return json(response, 400, { error: { message: "body is not JSON" } });
    }
    const record: MoondreamRequestRecord = { path, headers: request.headers, body: { ...body, image_url: "(omitted)" } };
    if (options.record !== false) requests.push(record);
    const fault = faults.shift();
    if (fault !== undefined) return json(response, fault, { error: { message: `injected failure ${fault}` } });
    const image = await decodeImage(body.image_url);
    if (image === undefined) return json(response, 400, { error: { message: "image_url must be a base64 data URL of an image" } });
    record.image = image;
    if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
    served.set(path, (served.get(path) ?? 0) + 1);
    const requestId = `req_${served.get(path)}`;
    if (path === "/v1/detect")
      return json(response, 200, { request_id: requestId, objects: [{ x_min: 0.1, y_min: 0.2, x_max: 0.5, y_max: 0.6 }] });
    if (path === "/v1/point")
      return json(response, 200, {
        request_id: requestId,
        points: [
          { x: 0.3, y: 0.4 },
          { x: 0.7, y: 0.8 },
        ],
      });
    const text =
      path === "/v1/caption"
        ? captionFor(String(body.length ?? "normal"), image.width, image.height)
        : `You asked "${String(body.question)}" about a ${image.width}x${image.height} image.`;
    const key = path === "/v1/caption" ? "caption" : "answer";
    if (body.stream !== true) return json(response, 200, { request_id: requestId, [key]: text });
    response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const pieces = text.match(/.{1,6}/gs) ?? [];
    if (breakStream) {
      breakStream = false;
      for (const piece of pieces.slice(0, 2)) response.write(`data: ${JSON.stringify({ chunk: piece })}\n\n`);
      setTimeout(() => response.socket?.destroy(), 20);
      return;
    }
    if (streamTail !== undefined) {
      const tail = streamTail;
      streamTail = undefined;
      for (const piece of pieces.slice(0, 2)) response.write(`data: ${JSON.stringify({ chunk: piece })}\n\n`);
      response.end(tail);
      return;
    }
    for (const piece of pieces) {
      if (response.destroyed) return;
      response.write(`data: ${JSON.stringify({ chunk: piece })}\n\n`);
      if (state.chunkDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.chunkDelayMs));
    }
    response.end(`data: ${JSON.stringify({ completed: true })}\n\n`);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => json(response, 500, { error: { message: String(error) } }));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    served,
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(value: number) {
      state.delayMs = value;
    },
    get chunkDelayMs() {
      return state.chunkDelayMs;
    },
    set chunkDelayMs(value: number) {
      state.chunkDelayMs = value;
    },
    breakNextStream() {
      breakStream = true;
    },
    endNextStreamWith(tail) {
      streamTail = tail;
    },
    fail(status, times = 1) {
      for (let index = 0; index < times; index++) faults.push(status);
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function decodeImage(imageUrl: unknown): Promise<MoondreamRequestRecord["image"]> {
  if (typeof imageUrl !== "string") return undefined;
  const match = /^data:(image\/[a-z+.-]+);base64,(.*)$/s.exec(imageUrl);
  if (match === null) return undefined;
  const bytes = Buffer.from(match[2]!, "base64");
  try {
    const metadata = await sharp(bytes).metadata();
    return { mediaType: match[1]!, bytes: bytes.length, width: metadata.width ?? 0, height: metadata.height ?? 0 };
  } catch {
    return undefined;
  }
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}
