import type { ChatRelay, PreparedImages } from "../chat-core/chat-relay.ts";
import type { ChatCore } from "../chat-core/create-chat-core.ts";
import type { ModelTarget } from "../models/resilience/model-target.ts";
import type { Cancellation } from "../net/cancellation.ts";
import type { OpenAiPassthrough, PassthroughReply } from "../providers/spec/index.ts";
import { fromChatCompletionBody } from "./from-chat-completion-body.ts";
import type { GatewayReply } from "./gateway-reply.ts";
import type { ChatCompletionBody } from "./openai-schemas.ts";
import { encodeOpenAiStream, toChatCompletion } from "./openai-stream-encoder.ts";
import { writePreparedImages } from "./write-prepared-images.ts";

type WholeRelay = { status: number; body: Buffer; contentType: string };

const chatPath = "/chat/completions";

/**
 * The relay's attempts for one request: the client's body with only `model` rewritten, one
 * serialisation per distinct upstream model name (a retry reuses it), the core's images written
 * back once. A class, not closures: its methods are made once, not per request.
 */
class BodyRelay {
  private readonly payloads = new Map<string, string>();
  private imagesWritten = false;

  constructor(
    private readonly body: ChatCompletionBody,
    protected readonly cancellation: Cancellation,
  ) {}

  payload(target: ModelTarget, images: PreparedImages | undefined): string {
    if (images !== undefined && !this.imagesWritten) {
      writePreparedImages(this.body, images);
      this.imagesWritten = true;
    }
    let payload = this.payloads.get(target.modelName);
    if (payload === undefined) {
      const original = this.body.model;
      this.body.model = target.modelName;
      payload = JSON.stringify(this.body);
      this.body.model = original;
      this.payloads.set(target.modelName, payload);
    }
    return payload;
  }
}

/** Non-streamed: one whole-reply exchange (no AbortController); remainingMs caps the wait at the request's deadline. */
class WholeBodyRelay extends BodyRelay implements ChatRelay<WholeRelay> {
  async attempt(passthrough: OpenAiPassthrough, target: ModelTarget, images: PreparedImages | undefined, remainingMs: number | undefined) {
    const reply = await passthrough.exchange(chatPath, this.payload(target, images), this.cancellation, remainingMs);
    if (reply.statusCode >= 300) throw passthrough.replyError(reply, chatPath);
    const contentType = reply.headers["content-type"];
    return { status: reply.statusCode, body: reply.body, contentType: typeof contentType === "string" ? contentType : "application/json" };
  }
}

class StreamedBodyRelay extends BodyRelay implements ChatRelay<PassthroughReply> {
  async attempt(passthrough: OpenAiPassthrough, target: ModelTarget, images: PreparedImages | undefined, remainingMs: number | undefined) {
    const reply = await passthrough.post(chatPath, this.payload(target, images), this.cancellation.signal, remainingMs);
    if (reply.statusCode >= 300) throw await passthrough.statusError(reply, chatPath);
    return reply;
  }
}

function noop(): void {}

/**
 * POST /v1/chat/completions: a codec over the chat core (model resolution, capability checks,
 * image intake and the OCR fallback, resilience). For OpenAI-compatible upstreams it relays: the
 * client's JSON goes out with only `model` rewritten (and images as the core prepared them) and the
 * reply bytes (JSON or SSE) come back untouched. Other providers' parts are encoded as OpenAI's.
 */
export function createChatCompletions(core: ChatCore) {
  return async function chatCompletion(body: ChatCompletionBody, cancellation: Cancellation): Promise<GatewayReply> {
    const input = fromChatCompletionBody(body);
    if (body.stream !== true) {
      const run = await core.generate(input, cancellation, new WholeBodyRelay(body, cancellation));
      if ("relayed" in run) {
        // Field by field: on Node 20 keys after a spread ({ ...run.relayed, upstreamMs }) take V8's slow path (~1 µs).
        const { status, contentType, body: whole } = run.relayed;
        return { status, contentType, body: whole, upstreamMs: run.upstreamMs, done: noop };
      }
      return {
        status: 200,
        contentType: "application/json",
        body: JSON.stringify(toChatCompletion(run.result, run.modelId)),
        upstreamMs: run.upstreamMs,
        done: noop,
      };
    }
    const run = await core.stream(input, cancellation.signal, new StreamedBodyRelay(body, cancellation));
    if ("relayed" in run) {
      const contentType = run.relayed.headers["content-type"];
      return {
        status: run.relayed.statusCode,
        contentType: typeof contentType === "string" ? contentType : "text/event-stream",
        body: run.relayed.body,
        upstreamMs: run.upstreamMs,
        done: run.done,
      };
    }
    return {
      status: 200,
      contentType: "text/event-stream; charset=utf-8",
      body: encodeOpenAiStream(run.parts, run.modelId, body.stream_options?.include_usage === true),
      upstreamMs: run.upstreamMs,
      done: run.done,
    };
  };
}
