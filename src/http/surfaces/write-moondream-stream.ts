import type { FastifyReply } from "fastify";
import { clientGone } from "../client-gone.ts";
import { toStationError } from "../errors/to-station-error.ts";

/**
 * Streams text the way Moondream does and its official client reads it: one SSE line
 * `data: {"chunk": "..."}` per piece, then `data: {"completed": true}`. The first piece is
 * awaited before any header goes out, so a failure up front (unknown model, upstream 4xx)
 * is still a proper HTTP error; a failure later ends the stream with an `error` event.
 */
export async function writeMoondreamStream(reply: FastifyReply, parts: AsyncIterable<string>): Promise<void> {
  const iterator = parts[Symbol.asyncIterator]();
  let first = await iterator.next();
  reply.hijack();
  const raw = reply.raw;
  raw.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
    "x-request-id": String(reply.request.id),
  });
  const redactor = reply.server.secretRedactor;
  const send = (data: unknown): void => {
    raw.write(redactor.redact(`data: ${JSON.stringify(data)}\n\n`));
  };
  try {
    while (!first.done) {
      if (first.value.length > 0) send({ chunk: first.value });
      if (raw.destroyed) {
        await iterator.return?.();
        return;
      }
      first = await iterator.next();
    }
    send({ completed: true });
  } catch (error) {
    const stationError = toStationError(error);
    if (stationError.code === "client_closed_request" || clientGone(raw)) {
      reply.log.info({ code: stationError.code }, "the client closed the vision stream");
      return;
    }
    if (stationError.status >= 500) reply.log.error({ err: error }, "vision stream failed");
    send({ error: { code: stationError.code, message: stationError.message } });
  } finally {
    raw.end();
  }
}
