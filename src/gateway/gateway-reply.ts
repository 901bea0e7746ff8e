/**
 * What a gateway operation hands the HTTP layer: a status and either a finished body or a
 * stream of bytes to relay as they come. No HTTP framework types in here.
 */
export interface GatewayReply {
  status: number;
  contentType: string;
  /**
   * A whole body, or server-sent events to write as they arrive (never buffered); a stream that
   * fails midway ends with a final `error` event.
   */
  body: string | Buffer | AsyncIterable<Uint8Array | string> | NodeJS.ReadableStream;
  /** Milliseconds spent waiting on upstreams (excluded from x-station-overhead-ms). */
  upstreamMs: number;
  /** How this protocol ends a stream that fails midway (default: OpenAI's SSE `error` event). */
  errorFrame?: (error: unknown) => string;
  /** Reports how delivery ended (to the resilience layer). Idempotent. */
  done(error?: unknown): void;
}
