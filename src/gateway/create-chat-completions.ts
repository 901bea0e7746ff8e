import { type RelayProtocol, StreamedBodyRelay, WholeBodyRelay } from "../chat-core/body-relay.ts";
import type { ChatCore } from "../chat-core/create-chat-core.ts";
import type { Cancellation } from "../net/cancellation.ts";
import { fromChatCompletionBody } from "./from-chat-completion-body.ts";
import type { GatewayReply } from "./gateway-reply.ts";
import type { ChatCompletionBody } from "./openai-schemas.ts";
import { encodeOpenAiStream, toChatCompletion } from "./openai-stream-encoder.ts";
import { writePreparedImages } from "./write-prepared-images.ts";

/** OpenAI chat's relay: to OpenAI-compatible upstreams, with the core's images written back into the body. */
const openAiChatRelay: RelayProtocol<ChatCompletionBody> = {
  path: "/chat/completions",
  passthroughOf: (provider) => provider.openAiPassthrough,
  writeImages: writePreparedImages,
};

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
      const run = await core.generate(input, cancellation, new WholeBodyRelay(openAiChatRelay, body));
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
    const run = await core.stream(input, cancellation, new StreamedBodyRelay(openAiChatRelay, body));
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
