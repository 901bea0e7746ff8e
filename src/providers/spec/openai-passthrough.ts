/**
 * The gateway's fast path for providers that speak OpenAI's wire format natively: Station
 * forwards the client's JSON (only `model` rewritten) and relays the reply bytes untouched.
 * Types only.
 */

export interface PassthroughReply {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  /** The reply body as it arrives (SSE or JSON bytes). Destroy it to abort the upstream call. */
  body: AsyncIterable<Uint8Array> & NodeJS.ReadableStream & { destroy(error?: Error): void };
}

export interface OpenAiPassthrough {
  /**
   * POSTs an already-serialised OpenAI request body to `path` ("/chat/completions", ...) and
   * resolves once the reply headers arrive, whatever the status. Connection failures reject
   * with a retryable `UpstreamError`.
   */
  post(path: string, body: string, signal: AbortSignal | undefined): Promise<PassthroughReply>;
  /** Reads a non-2xx reply into an `UpstreamError` (status, Retry-After, upstream message). */
  statusError(reply: PassthroughReply, path: string): Promise<Error>;
}
