/**
 * The gateway's fast path for providers that speak OpenAI's wire format natively: Station
 * forwards the client's JSON (only `model` rewritten) and relays the reply bytes untouched.
 * Types only.
 */
import type { Cancellation } from "../../net/cancellation.ts";

export interface PassthroughReply {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  /** The reply body as it arrives (SSE or JSON bytes). Destroy it to abort the upstream call. */
  body: AsyncIterable<Uint8Array> & NodeJS.ReadableStream & { destroy(error?: Error): void };
}

/** A reply read to its end (non-streamed calls). */
export interface WholeReply {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface OpenAiPassthrough {
  /**
   * POSTs an already-serialised OpenAI request body to `path` ("/chat/completions", ...) and
   * resolves once the reply headers arrive, whatever the status. Connection failures reject
   * with a retryable `UpstreamError`.
   */
  post(path: string, body: string, signal: AbortSignal | undefined, timeoutMs?: number): Promise<PassthroughReply>;
  /**
   * POSTs like `post` but reads the reply whole, whatever the status: the cheaper path for
   * non-streamed calls. `cancellation` aborts the call (client gone). `timeoutMs` (both
   * methods) shortens the provider's own wait for the reply headers, e.g. to what is left of the
   * request's deadline.
   */
  exchange(path: string, body: string, cancellation: Cancellation | undefined, timeoutMs?: number): Promise<WholeReply>;
  /**
   * A body-less GET or DELETE of `path` (with its query string), read whole whatever the status:
   * for objects the upstream stores (Responses' `/responses/{id}`).
   */
  read(method: "GET" | "DELETE", path: string, cancellation: Cancellation | undefined): Promise<WholeReply>;
  /** A non-2xx reply read whole → `UpstreamError` (status, Retry-After, upstream message). */
  replyError(reply: WholeReply, path: string): Error;
  /** Reads a non-2xx reply into an `UpstreamError` (status, Retry-After, upstream message). */
  statusError(reply: PassthroughReply, path: string): Promise<Error>;
}
