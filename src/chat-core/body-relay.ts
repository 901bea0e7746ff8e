import type { ModelTarget } from "../models/resilience/model-target.ts";
import type { Cancellation } from "../net/cancellation.ts";
import type { OpenAiPassthrough, PassthroughReply, Provider } from "../providers/spec/index.ts";
import type { ChatRelay, PreparedImages } from "./chat-relay.ts";

/** A whole relayed reply: the upstream's status, content type and bytes, untouched. */
export interface WholeRelayedReply {
  status: number;
  contentType: string;
  body: Buffer;
}

/** Where and to whom one protocol relays its clients' bodies. */
export interface RelayProtocol<B extends { model?: string | undefined }> {
  /** The upstream path ("/chat/completions", "/messages"). */
  path: string;
  /** The provider's raw exchange for this protocol, or undefined to let the core translate. */
  passthroughOf(provider: Provider, images: PreparedImages | undefined): OpenAiPassthrough | undefined;
  /** Writes what the core made of the images into the body, once, before it goes out. */
  writeImages?(body: B, images: PreparedImages): void;
}

/**
 * The relay's attempts for one request: the client's body with only `model` rewritten, one
 * serialisation per distinct upstream model name (a retry reuses it), the core's images written
 * back once. A class, not closures: its methods are made once, not per request (tsx's keepNames
 * wraps every named closure in __name).
 */
class BodyRelay<B extends { model?: string | undefined }> {
  // The first target's payload in two fields, other targets' (a fallback) in a Map made only
  // then: a Map per request was ~800 bytes of the relay's allocation (bench/gateway/allocation.ts).
  private firstModelName: string | undefined;
  private firstPayload = "";
  private otherPayloads: Map<string, string> | undefined;
  private imagesWritten = false;

  constructor(
    protected readonly protocol: RelayProtocol<B>,
    private readonly body: B,
  ) {}

  passthroughOf(provider: Provider, images: PreparedImages | undefined): OpenAiPassthrough | undefined {
    return this.protocol.passthroughOf(provider, images);
  }

  protected payload(target: ModelTarget, images: PreparedImages | undefined): string {
    if (images !== undefined && !this.imagesWritten) {
      this.protocol.writeImages?.(this.body, images);
      this.imagesWritten = true;
    }
    const name = target.modelName;
    if (name === this.firstModelName) return this.firstPayload;
    let payload = this.otherPayloads?.get(name);
    if (payload === undefined) {
      payload = this.serialise(name);
      if (this.firstModelName === undefined) {
        this.firstModelName = name;
        this.firstPayload = payload;
      } else {
        this.otherPayloads ??= new Map();
        this.otherPayloads.set(name, payload);
      }
    }
    return payload;
  }

  private serialise(modelName: string): string {
    const original = this.body.model;
    this.body.model = modelName;
    const payload = JSON.stringify(this.body);
    this.body.model = original;
    return payload;
  }
}

/**
 * Non-streamed: one whole-reply exchange (no AbortController); remainingMs caps the wait for the
 * headers, the call's cancellation (which the deadline cancels) the whole exchange.
 */
export class WholeBodyRelay<B extends { model?: string | undefined }> extends BodyRelay<B> implements ChatRelay<WholeRelayedReply> {
  async attempt(
    passthrough: OpenAiPassthrough,
    target: ModelTarget,
    images: PreparedImages | undefined,
    remainingMs: number | undefined,
    cancellation: Cancellation,
  ): Promise<WholeRelayedReply> {
    const { path } = this.protocol;
    const reply = await passthrough.exchange(path, this.payload(target, images), cancellation, remainingMs);
    if (reply.statusCode >= 300) throw passthrough.replyError(reply, path);
    const contentType = reply.headers["content-type"];
    return { status: reply.statusCode, body: reply.body, contentType: typeof contentType === "string" ? contentType : "application/json" };
  }
}

/** Streamed: the reply's bytes relayed as they come. */
export class StreamedBodyRelay<B extends { model?: string | undefined }> extends BodyRelay<B> implements ChatRelay<PassthroughReply> {
  async attempt(
    passthrough: OpenAiPassthrough,
    target: ModelTarget,
    images: PreparedImages | undefined,
    remainingMs: number | undefined,
    cancellation: Cancellation,
  ): Promise<PassthroughReply> {
    const { path } = this.protocol;
    const reply = await passthrough.post(path, this.payload(target, images), cancellation.signal, remainingMs);
    if (reply.statusCode >= 300) throw await passthrough.statusError(reply, path);
    return reply;
  }
}
