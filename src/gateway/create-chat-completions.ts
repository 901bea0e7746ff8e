import type { ChatRelay } from "../chat-core/chat-relay.ts";
import type { ChatCore } from "../chat-core/create-chat-core.ts";
import type { ModelTarget } from "../models/resilience/model-target.ts";
import type { Cancellation } from "../net/cancellation.ts";
import type { PassthroughReply } from "../providers/spec/index.ts";
import { fromChatCompletionBody } from "./from-chat-completion-body.ts";
import type { GatewayReply } from "./gateway-reply.ts";
import type { ChatCompletionBody } from "./openai-schemas.ts";
import { encodeOpenAiStream, toChatCompletion } from "./openai-stream-encoder.ts";
import { writePreparedImages } from "./write-prepared-images.ts";

type WholeRelay = { status: number; body: Buffer; contentType: string };

const chatPath = "/chat/completions";

/** One serialisation per distinct upstream model name (a retry reuses it). */
type Payloads = Map<string, string>;

function payloadFor(body: ChatCompletionBody, target: ModelTarget, payloads: Payloads): string {
  let payload = payloads.get(target.modelName);
  if (payload === undefined) {
    const original = body.model;
    body.model = target.modelName;
    payload = JSON.stringify(body);
    body.model = original;
    payloads.set(target.modelName, payload);
  }
  return payload;
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
    const payloads: Payloads = new Map();
    let imagesWritten = false;
    const payload = (target: ModelTarget, images: Parameters<ChatRelay<unknown>["attempt"]>[2]): string => {
      if (images !== undefined && !imagesWritten) {
        writePreparedImages(body, images);
        imagesWritten = true;
      }
      return payloadFor(body, target, payloads);
    };

    if (body.stream !== true) {
      // remainingMs caps the upstream's wait at the request's deadline (a hung upstream: 504).
      const run = await core.generate<WholeRelay>(input, cancellation, {
        attempt: async (passthrough, target, images, remainingMs) => {
          const reply = await passthrough.exchange(chatPath, payload(target, images), cancellation, remainingMs);
          if (reply.statusCode >= 300) throw passthrough.replyError(reply, chatPath);
          const contentType = reply.headers["content-type"];
          return {
            status: reply.statusCode,
            body: reply.body,
            contentType: typeof contentType === "string" ? contentType : "application/json",
          };
        },
      });
      if ("relayed" in run) {
        // Field by field: on Node 20 keys after a spread ({ ...run.relayed, upstreamMs }) take V8's slow path (~1 µs).
        const { status, body: whole, contentType } = run.relayed;
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

    const run = await core.stream<PassthroughReply>(input, cancellation.signal, {
      attempt: async (passthrough, target, images, remainingMs) => {
        const reply = await passthrough.post(chatPath, payload(target, images), cancellation.signal, remainingMs);
        if (reply.statusCode >= 300) throw await passthrough.statusError(reply, chatPath);
        return reply;
      },
    });
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
