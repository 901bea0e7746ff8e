import type { ChatGeneration, ChatStreamRun } from "../../chat-core/chat-run.ts";
import {
  type ContextOf,
  encodeOllamaStream,
  type OllamaFlavor,
  type OllamaTimings,
  ollamaErrorLine,
  toOllamaReplyJson,
} from "../../protocols/ollama/encode-ollama-stream.ts";
import type { ChatReplyCodec } from "./reply-with-chat.ts";

/**
 * One /api/chat or /api/generate request's codec: Ollama's single object, or its NDJSON stream,
 * with the durations counted from the request's start. A class, not closures: its methods are
 * made once, not per request.
 */
export class OllamaCodec implements ChatReplyCodec {
  readonly wholeType = "application/json; charset=utf-8";
  readonly streamType = "application/x-ndjson";
  readonly errorFrame = ollamaErrorLine;
  private readonly timings: OllamaTimings = { startedAt: process.hrtime.bigint() };

  constructor(
    private readonly flavor: OllamaFlavor,
    /** The name as the client gave it (echoed in every line). */
    private readonly model: string,
    private readonly contextOf?: ContextOf,
  ) {}

  whole(generation: ChatGeneration): string {
    return toOllamaReplyJson(this.flavor, this.model, generation.result, this.timings, this.contextOf);
  }

  stream(run: ChatStreamRun): AsyncIterable<string> {
    return encodeOllamaStream(run.parts, this.flavor, this.model, this.timings, this.contextOf);
  }
}
