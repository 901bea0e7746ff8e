import type { ServerOptions } from "node:http";
import type { StationConfig } from "../config/schema.ts";

/**
 * Bounds on how long a client may take to send a request, so connections that trickle headers
 * or a body (one byte now and then) cannot hold file descriptors forever. Node enforces both
 * timeouts by sweeping its connections every `connectionsCheckingInterval` (30 s by default,
 * which would let a short timeout run long): sweep at a quarter of the shorter one. A request cut
 * off this way gets a 408 from `clientErrorHandler`. Once a request has arrived, its response may
 * take as long as it needs (streams, WebSockets): these bound only the client's sending.
 */
export function connectionLimits(server: StationConfig["server"]): { requestTimeout: number; http: ServerOptions } {
  return {
    requestTimeout: server.requestTimeoutMs,
    http: {
      headersTimeout: server.headersTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(30_000, Math.floor(server.headersTimeoutMs / 4))),
    },
  };
}
