/** What the chat core hands a codec. Types only. */
import type { ChatResult, ModelInfo, StreamPart } from "../providers/spec/index.ts";

export interface ChatGeneration {
  /** The model id as the client named it (what each surface echoes in `model`). */
  modelId: string;
  info: ModelInfo | undefined;
  result: ChatResult;
  /** Milliseconds spent waiting on upstreams (excluded from x-station-overhead-ms). */
  upstreamMs: number;
}

export interface ChatStreamRun {
  modelId: string;
  info: ModelInfo | undefined;
  /**
   * The reply's parts, the first already received (so a failure before any byte is an HTTP
   * error, retried by the resilience layer). Ends after one `finish` or one `error` part.
   */
  parts: AsyncIterable<StreamPart>;
  upstreamMs: number;
  /** Reports how delivery ended to the resilience layer. Idempotent. */
  done(error?: unknown): void;
  /** The consumer stopped reading (a barge-in, a tool loop that had enough): a cancel, not the target's failure. */
  abandon(): void;
}
