import type { FastifyReply, FastifyRequest } from "fastify";

export interface SseEvent {
  type: string;
  data: unknown;
}

/** A comment line every so often keeps proxies from closing a stream that waits on a slow tool. */
const heartbeatMs = 15_000;

/**
 * Streams typed events as Server-Sent Events (`event: <type>` + one JSON `data:` line) straight
 * to the socket, honouring backpressure. The returned signal aborts when the client hangs up,
 * so the producer can stop its upstream work; the producer receives it before the first event.
 */
export async function writeSseEvents(
  request: FastifyRequest,
  reply: FastifyReply,
  produce: (signal: AbortSignal) => AsyncIterable<SseEvent>,
): Promise<void> {
  const controller = new AbortController();
  const raw = reply.raw;
  // An event may carry an upstream's error message, which may quote the credentials it was sent.
  const redactor = request.server.secretRedactor;
  raw.once("close", () => {
    if (!raw.writableFinished) controller.abort(new DOMException("The client disconnected", "AbortError"));
  });
  reply.hijack();
  raw.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
    "x-request-id": request.id,
  });
  raw.flushHeaders();
  const heartbeat = setInterval(() => {
    if (!controller.signal.aborted) raw.write(": keep-alive\n\n");
  }, heartbeatMs);
  heartbeat.unref();
  try {
    for await (const event of produce(controller.signal)) {
      if (controller.signal.aborted) break;
      if (!raw.write(redactor.redact(`event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`))) {
        await new Promise<void>((resolve) => {
          const done = () => {
            raw.off("drain", done);
            raw.off("close", done);
            resolve();
          };
          raw.once("drain", done);
          raw.once("close", done);
        });
      }
    }
  } catch (error) {
    if (controller.signal.aborted) request.log.info({ err: error }, "the client closed the event stream");
    else request.log.error({ err: error }, "event stream failed");
    if (!controller.signal.aborted)
      raw.write(`event: error\ndata: ${JSON.stringify({ code: "internal_error", message: "Internal server error" })}\n\n`);
  } finally {
    clearInterval(heartbeat);
    if (!raw.writableEnded) raw.end();
  }
}
