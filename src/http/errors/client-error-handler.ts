import { STATUS_CODES } from "node:http";
import type { Socket } from "node:net";

/**
 * Requests Node's HTTP parser rejects before any route sees them (an unknown method, broken
 * syntax, headers too large, a request that times out) get Station's error shape too, instead of
 * Fastify's own `{"error":"Bad Request","statusCode":400}`. There is no parsed URL to pick a
 * surface from, so it is the `{error: {code, message}}` shape.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const [status, code, message] =
    error.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? [408, "request_timeout", "The request took too long to arrive"]
      : error.code === "HPE_HEADER_OVERFLOW"
        ? [431, "headers_too_large", "The request headers are larger than the server accepts"]
        : [400, "malformed_request", "The request is not valid HTTP (an unknown method, or broken syntax)"];
  const body = JSON.stringify({ error: { code, message } });
  // end() rather than write() + destroy(): the reply is flushed before the connection closes.
  if (socket.writable) {
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  } else socket.destroy(error);
}
