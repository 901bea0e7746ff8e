import type { IncomingHttpHeaders } from "node:http";
import { type Dispatcher, Pool } from "undici";
import { isRetryableStatus, UpstreamError } from "../../errors/upstream-error.ts";
import type { Cancellation } from "../../net/cancellation.ts";
import type { WholeReply } from "../spec/openai-passthrough.ts";
import { parseRetryAfter } from "./parse-retry-after.ts";
import { WholeReplyHandler } from "./whole-reply-handler.ts";

export interface UpstreamClientOptions {
  providerId: string;
  /** Origin plus base path, without a trailing slash, e.g. "http://127.0.0.1:1234/v1". */
  baseUrl: string;
  /** Sent on every call (authorization, vendor headers). */
  headers?: Record<string, string>;
  connectTimeoutMs: number;
  /** Longest wait for the reply headers: for a non-streamed call, the whole generation. */
  timeoutMs: number;
  /** Longest silence between two body chunks. */
  idleTimeoutMs: number;
  /** Tests and benchmarks may bring their own dispatcher. */
  dispatcher?: Dispatcher;
}

export interface UpstreamResponse {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: Dispatcher.ResponseData["body"];
}

export interface UpstreamRequest {
  method: "GET" | "POST" | "DELETE";
  path: string;
  body?: string | Buffer;
  signal?: AbortSignal | undefined;
  headers?: Record<string, string>;
  /** Waits less than the client's `timeoutMs` for the reply headers (what is left of a deadline). */
  timeoutMs?: number | undefined;
}

/**
 * The one HTTP client every remote adapter uses: a keep-alive undici pool per provider whose
 * connect, headers and body timeouts are the resilience layer's connect, total and idle timeouts.
 * Connection failures become retryable `UpstreamError`s; HTTP statuses are left to the caller
 * (`send`) or turned into errors (`json`).
 */
export class UpstreamClient {
  readonly providerId: string;
  readonly baseUrl: string;
  private readonly basePath: string;
  private readonly origin: string | undefined;
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly jsonHeaders: Record<string, string>;
  private readonly getHeaders: Record<string, string>;
  private readonly options: UpstreamClientOptions;

  constructor(options: UpstreamClientOptions) {
    const url = new URL(options.baseUrl);
    this.options = options;
    this.providerId = options.providerId;
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.basePath = url.pathname.replace(/\/+$/, "");
    this.ownsDispatcher = options.dispatcher === undefined;
    this.origin = this.ownsDispatcher ? undefined : url.origin;
    this.dispatcher =
      options.dispatcher ??
      new Pool(url.origin, {
        connect: { timeout: options.connectTimeoutMs },
        headersTimeout: options.timeoutMs,
        bodyTimeout: options.idleTimeoutMs,
        keepAliveTimeout: 30_000,
      });
    this.getHeaders = { accept: "application/json", ...options.headers };
    this.jsonHeaders = { "content-type": "application/json", ...this.getHeaders };
  }

  /** Sends a request; resolves once the reply headers arrive, whatever the status. */
  async send(request: UpstreamRequest): Promise<UpstreamResponse> {
    try {
      const response = await this.dispatcher.request({
        origin: this.origin,
        method: request.method,
        path: this.basePath + request.path,
        headers: this.headersFor(request),
        body: request.body ?? null,
        signal: request.signal,
        headersTimeout: this.headersTimeout(request.timeoutMs),
        bodyTimeout: this.options.idleTimeoutMs,
      });
      return response;
    } catch (error) {
      throw this.connectionError(error, request.path, this.timesOutAtDeadline(request.timeoutMs));
    }
  }

  /**
   * Sends a request and reads the reply whole, whatever the status; `cancellation` aborts it.
   * The cheap path for replies only usable complete (see WholeReplyHandler).
   */
  exchange(request: Omit<UpstreamRequest, "signal">, cancellation?: Cancellation): Promise<WholeReply> {
    return new Promise((resolve, reject) => {
      const handler = new WholeReplyHandler(cancellation, resolve, (error) =>
        reject(this.connectionError(error, request.path, this.timesOutAtDeadline(request.timeoutMs))),
      );
      this.dispatcher.dispatch(
        {
          origin: this.origin,
          method: request.method,
          path: this.basePath + request.path,
          headers: this.headersFor(request),
          body: request.body ?? null,
          headersTimeout: this.headersTimeout(request.timeoutMs),
          bodyTimeout: this.options.idleTimeoutMs,
        } as Dispatcher.DispatchOptions,
        handler as unknown as Dispatcher.DispatchHandler,
      );
    });
  }

  /** Sends a JSON request and parses the JSON reply; non-2xx replies throw `UpstreamError`. */
  async json<T>(method: UpstreamRequest["method"], path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    const response = await this.send({ method, path, body: body === undefined ? undefined : JSON.stringify(body), signal });
    if (response.statusCode >= 300) throw await this.statusError(response, path);
    let text: string;
    try {
      text = await response.body.text();
    } catch (error) {
      throw this.connectionError(error, path);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw this.badReply(path, "a body that is not JSON");
    }
  }

  /**
   * A 2xx reply Station cannot use (not JSON, or missing what the API promises): the upstream's
   * failure, reported as a 502 `upstream_error` naming what was wrong, never a crash here.
   */
  badReply(path: string, what: string): UpstreamError {
    return new UpstreamError({
      message: `${this.providerId} answered ${path} with ${what}`,
      provider: this.providerId,
      url: this.baseUrl + path,
      statusCode: 502,
      isRetryable: true,
    });
  }

  /**
   * A failure inside a stream the upstream had started answering with 200: an error event, a
   * chunk Station cannot parse, an end before the stream says it is finished. The upstream was
   * reached, so this is its error (502 `upstream_error`) with its own words in `detail`, never
   * "could not be reached". Retryable: the resilience layer only retries before the first part.
   */
  streamError(path: string, detail: string, cause?: unknown): UpstreamError {
    return new UpstreamError({
      message: `${this.providerId} ${detail}`,
      provider: this.providerId,
      url: this.baseUrl + path,
      code: "upstream_error",
      isRetryable: true,
      cause,
    });
  }

  /** Reads an error reply into a `UpstreamError` (status, Retry-After, the upstream's message). */
  async statusError(response: UpstreamResponse, path: string): Promise<UpstreamError> {
    let text = "";
    try {
      text = await response.body.text();
    } catch {
      // The body is only for the message; a broken one still leaves the status.
    }
    return this.replyError(response.statusCode, response.headers, text, path);
  }

  /** A non-2xx reply already read (status, headers, body text) → `UpstreamError`. */
  replyError(status: number, headers: IncomingHttpHeaders, fullText: string, path: string): UpstreamError {
    const text = fullText.slice(0, 2000);
    return new UpstreamError({
      message: `${this.providerId} answered ${status}${upstreamMessage(text)}`,
      provider: this.providerId,
      url: this.baseUrl + path,
      statusCode: status,
      responseBody: text,
      isRetryable: isRetryableStatus(status),
      retryAfterSeconds: parseRetryAfter(headers["retry-after"]),
    });
  }

  /**
   * Connection-level failure (refused, reset, timed out, aborted) → `UpstreamError`. With
   * `headersTimeoutAtDeadline` (the wait for the headers was what is left of the call's deadline),
   * a headers timeout is the deadline passing (`atDeadline`), not the provider's own timeout.
   */
  connectionError(error: unknown, path: string, headersTimeoutAtDeadline = false): UpstreamError {
    if (error instanceof UpstreamError) return error;
    const code = (error as { code?: string })?.code ?? (error as Error)?.name;
    const aborted = code === "UND_ERR_ABORTED" || (error as Error)?.name === "AbortError";
    return new UpstreamError({
      message: `${this.providerId} ${describeConnectionError(code)}`,
      provider: this.providerId,
      url: this.baseUrl + path,
      isRetryable: !aborted,
      timedOut: code === "UND_ERR_CONNECT_TIMEOUT" || code === "UND_ERR_HEADERS_TIMEOUT" || code === "UND_ERR_BODY_TIMEOUT",
      atDeadline: headersTimeoutAtDeadline && code === "UND_ERR_HEADERS_TIMEOUT",
      cause: error,
    });
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  /** The provider's timeout, or less when the call has less time left (undici wants a positive integer). */
  private headersTimeout(timeoutMs: number | undefined): number {
    return timeoutMs === undefined || timeoutMs >= this.options.timeoutMs ? this.options.timeoutMs : Math.max(1, Math.ceil(timeoutMs));
  }

  /**
   * Whether the headers timeout is what is left of the call's deadline (no more than the
   * provider's own): undici's timer then fires at the deadline, on a coarser clock than the
   * deadline's own timer (its fast timers tick every ~0.5 s), so before or after it.
   */
  private timesOutAtDeadline(timeoutMs: number | undefined): boolean {
    return timeoutMs !== undefined && timeoutMs <= this.options.timeoutMs;
  }

  /** The client's own headers (JSON ones when there is a body), with the request's over them. */
  private headersFor(request: Omit<UpstreamRequest, "signal">): Record<string, string> {
    const base = request.body === undefined ? this.getHeaders : this.jsonHeaders;
    return request.headers === undefined ? base : { ...base, ...request.headers };
  }
}

function describeConnectionError(code: string | undefined): string {
  switch (code) {
    case "ECONNREFUSED":
      return "refused the connection";
    case "UND_ERR_CONNECT_TIMEOUT":
      return "did not accept the connection in time (connect timeout)";
    case "UND_ERR_HEADERS_TIMEOUT":
      return "did not answer in time (timeout)";
    case "UND_ERR_BODY_TIMEOUT":
      return "went silent mid-reply (idle timeout)";
    case "ECONNRESET":
    case "UND_ERR_SOCKET":
      return "closed the connection unexpectedly";
    case "UND_ERR_ABORTED":
    case "AbortError":
      return "call was aborted";
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return "host name could not be resolved";
    default:
      return `could not be reached (${code ?? "unknown error"})`;
  }
}

/**
 * The message of an error an upstream put inside a stream: OpenAI's `{"error": {"message"}}`,
 * Ollama's `{"error": "..."}`, or whatever JSON it was.
 */
export function streamedErrorMessage(error: unknown): string {
  if (typeof error === "string") return error.slice(0, 500);
  const message = (error as { message?: unknown } | null)?.message;
  if (typeof message === "string") return message.slice(0, 500);
  return JSON.stringify(error)?.slice(0, 500) ?? "an error without a message";
}

/** ": <message>" from an OpenAI- or Ollama-shaped error body, if there is one. */
function upstreamMessage(text: string): string {
  if (text.length === 0) return "";
  try {
    const parsed = JSON.parse(text) as { error?: string | { message?: string }; message?: string };
    const message = typeof parsed.error === "string" ? parsed.error : (parsed.error?.message ?? parsed.message);
    return typeof message === "string" ? `: ${message.slice(0, 300)}` : "";
  } catch {
    return `: ${text.slice(0, 200)}`;
  }
}
