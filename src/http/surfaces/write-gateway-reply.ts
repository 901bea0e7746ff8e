import type { FastifyReply, FastifyRequest } from "fastify";
import type { GatewayReply } from "../../gateway/gateway-reply.ts";
import { sseErrorEvent } from "../../gateway/openai-stream-encoder.ts";
import type { StreamRedaction } from "../../security/redact-bytes.ts";
import type { SecretRedactor } from "../../security/secret-redactor.ts";

/**
 * Sends a gateway reply. Whole bodies go through Fastify; streams are written straight to the
 * socket as each chunk arrives (no buffering), and a failure midway ends an event stream with
 * an `error` event rather than a hung or silently cut connection.
 * `x-station-overhead-ms` is the time Station spent on the request minus the upstream wait.
 * Relayed upstream bytes (a whole reply, a stream) have every configured secret replaced too; with
 * none configured they are written as they came.
 */
export function writeGatewayReply(request: FastifyRequest, reply: FastifyReply, result: GatewayReply): FastifyReply | undefined {
  const overhead = Math.max(0, reply.elapsedTime - result.upstreamMs).toFixed(3);
  const { body } = result;
  const redactor = request.server.secretRedactor;
  if (typeof body === "string" || Buffer.isBuffer(body)) {
    // A string (a translated reply) goes out as bytes too: Node writes a Buffer after the headers
    // as it is, where it would copy a string into one text with the headers first, and the bytes'
    // redaction costs what a relayed reply's does (Fastify's onSend hook redacts only strings).
    const bytes = redactor.redactBytes(typeof body === "string" ? Buffer.from(body) : body);
    return reply.code(result.status).header("content-type", result.contentType).header("x-station-overhead-ms", overhead).send(bytes);
  }
  reply.hijack();
  const raw = reply.raw;
  const headers: Record<string, string | number> = {
    "content-type": result.contentType,
    "cache-control": "no-cache",
    "x-request-id": request.id,
    "x-station-overhead-ms": overhead,
  };
  raw.writeHead(result.status, headers);
  if (isNodeStream(body)) relayNodeStream(body, raw, result, redactor);
  else void relayIterable(body, raw, result, redactor);
  return undefined;
}

type Raw = FastifyReply["raw"];

function isNodeStream(body: GatewayReply["body"]): body is NodeJS.ReadableStream {
  return typeof (body as NodeJS.ReadableStream).pipe === "function";
}

/** Event-driven relay (cheaper than async iteration for the fast path's undici body). */
function relayNodeStream(body: NodeJS.ReadableStream, raw: Raw, result: GatewayReply, redactor: SecretRedactor): void {
  let ended = false;
  const onDrain = (): void => {
    body.resume();
  };
  // Undefined unless a secret is configured: then the chunks go out as they came.
  const redaction = redactor.streamRedaction();
  body.on("data", (chunk: Buffer) => {
    const bytes = redaction === undefined ? chunk : redaction.push(chunk);
    if (bytes.length > 0 && !raw.write(bytes)) {
      body.pause();
      raw.once("drain", onDrain);
    }
  });
  body.on("end", () => {
    ended = true;
    raw.end(heldBack(redaction));
    result.done();
  });
  body.on("error", (error: Error) => {
    ended = true;
    result.done(error);
    const held = heldBack(redaction);
    if (held !== undefined && !raw.destroyed) raw.write(held);
    endWithError(raw, error, result.errorFrame, redactor);
  });
  raw.on("close", () => {
    if (ended) return;
    ended = true;
    (body as NodeJS.ReadableStream & { destroy(): void }).destroy();
    result.done(new Error("client disconnected"));
  });
}

/** What a stream's redaction held back at its end (the start of a secret that never completed). */
function heldBack(redaction: StreamRedaction | undefined): Buffer | undefined {
  return redaction?.end();
}

async function relayIterable(
  body: AsyncIterable<Uint8Array | string>,
  raw: Raw,
  result: GatewayReply,
  redactor: SecretRedactor,
): Promise<void> {
  const iterator = body[Symbol.asyncIterator]();
  let closed = false;
  raw.on("close", () => {
    closed = true;
  });
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      if (closed) {
        await iterator.return?.();
        result.done(new Error("client disconnected"));
        return;
      }
      // Station's own encoding (any surface's stream), so an error event inside it may quote an upstream.
      const chunk = typeof next.value === "string" ? redactor.redact(next.value) : next.value;
      if (!raw.write(chunk)) await new Promise((resolve) => raw.once("drain", resolve).once("close", resolve));
    }
    raw.end();
    result.done();
  } catch (error) {
    result.done(error);
    endWithError(raw, error, result.errorFrame, redactor);
  }
}

/** Station's own error event; the upstream's relayed bytes before it are not rewritten (the hot path). */
function endWithError(raw: Raw, error: unknown, errorFrame: ((error: unknown) => string) | undefined, redactor: SecretRedactor): void {
  if (raw.destroyed || raw.writableEnded) return;
  raw.end(
    redactor.redact(
      errorFrame === undefined
        ? `

${sseErrorEvent(error)}`
        : errorFrame(error),
    ),
  );
}
