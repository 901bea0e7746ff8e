/** How a codec relays its client's own body to upstreams that speak the client's protocol natively. Types only. */
import type { ModelTarget } from "../models/resilience/model-target.ts";
import type { Cancellation } from "../net/cancellation.ts";
import type { ChatMessage, OpenAiPassthrough, Provider } from "../providers/spec/index.ts";

/** The messages after the core took the request's images in; absent when there were none. */
export interface PreparedImages {
  /** Every message as the core prepared it: images inlined, or read as text for a model that cannot see. */
  messages: ChatMessage[];
  /** True when the images became text (the model cannot see them): none of the client's image parts may go out. */
  read: boolean;
}

export interface ChatRelay<R> {
  /**
   * The raw exchange of a target's provider that speaks the codec's protocol natively (OpenAI
   * chat: `openAiPassthrough`; Anthropic Messages: `anthropicPassthrough`), or undefined to let the
   * core translate. `images` is what the core made of the request's images.
   */
  passthroughOf(provider: Provider, images: PreparedImages | undefined): OpenAiPassthrough | undefined;
  /**
   * One attempt on such a target: the codec sends its client's own body (only what the core
   * changed rewritten) instead of the core's translation. `remainingMs` is what is left of the
   * request's deadline; `cancellation` (the resilience layer's: client gone or deadline passed)
   * aborts the exchange.
   */
  attempt(
    passthrough: OpenAiPassthrough,
    target: ModelTarget,
    images: PreparedImages | undefined,
    remainingMs: number | undefined,
    cancellation: Cancellation,
  ): Promise<R>;
}

/** A call a codec relayed: its own reply, plus what the core knows about the model. */
export interface RelayedRun<R> {
  modelId: string;
  relayed: R;
  upstreamMs: number;
  /** Reports how delivery ended to the resilience layer. Idempotent. */
  done(error?: unknown): void;
}
