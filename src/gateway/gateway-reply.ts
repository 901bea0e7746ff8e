/**
 * What a gateway operation hands the HTTP layer: a status and either a finished body or a
 * stream of bytes to relay as they come. No HTTP framework types in here.
 */
export interface GatewayReply {
  status: number;
  contentType: string;
  /** A whole body, or chunks to write as they arrive (never buffered). */
  body: string | Buffer | AsyncIterable<Uint8Array | string> | NodeJS.ReadableStream;
  /** True for server-sent events: a failure midway is reported as a final `error` event. */
  eventStream: boolean;
  /** Milliseconds spent waiting on upstreams (excluded from x-station-overhead-ms). */
  upstreamMs: number;
  /** Reports how delivery ended (to the resilience layer). Idempotent. */
  done(error?: unknown): void;
}
