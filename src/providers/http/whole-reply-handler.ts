import { util } from "undici";
import type { CancelListener, Cancellation } from "../../net/cancellation.ts";
import type { WholeReply } from "../spec/openai-passthrough.ts";

type AbortCall = (reason?: Error) => void;

/**
 * An undici dispatch handler that reads a reply whole, for calls whose reply is only usable
 * complete (non-streamed completions). Compared with `Dispatcher.request` it makes no body
 * stream and takes a `Cancellation` instead of an AbortSignal: the relay's hot path pays for
 * neither (bench/gateway). Uses undici's core handler callbacks (onConnect … onComplete).
 */
export class WholeReplyHandler implements CancelListener {
  private statusCode = 0;
  private headers: WholeReply["headers"] = {};
  private readonly chunks: Buffer[] = [];
  private length = 0;
  /** The latest connect attempt's abort function: what a cancel calls. */
  private abortCall: AbortCall | undefined;
  private watching = false;

  constructor(
    private readonly cancellation: Cancellation | undefined,
    private readonly resolve: (reply: WholeReply) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  onConnect(abort: AbortCall): void {
    if (this.cancellation === undefined) return;
    // Called again on each connect attempt; the latest abort function is the live one. The
    // handler itself watches the cancellation: no closure per request.
    this.abortCall = abort;
    if (this.watching) return;
    this.watching = true;
    this.cancellation.watch(this);
  }

  /** The cancellation was cancelled (the client went away, the deadline passed): abort the call. */
  cancelled(reason: unknown): void {
    this.abortCall?.(reason instanceof Error ? reason : undefined);
  }

  private stopWatching(): void {
    if (!this.watching) return;
    this.watching = false;
    this.cancellation?.unwatch(this);
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[]): boolean {
    this.statusCode = statusCode;
    // undici's parser: cached lower-case names, and safe against a `__proto__` header.
    this.headers = util.parseHeaders(rawHeaders);
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.length += chunk.length;
    return true;
  }

  onComplete(): void {
    this.stopWatching();
    const body = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.length);
    this.resolve({ statusCode: this.statusCode, headers: this.headers, body });
  }

  onError(error: Error): void {
    this.stopWatching();
    this.reject(error);
  }
}
