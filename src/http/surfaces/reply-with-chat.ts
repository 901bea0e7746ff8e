import type { FastifyReply, FastifyRequest } from "fastify";
import { type RelayProtocol, StreamedBodyRelay, WholeBodyRelay } from "../../chat-core/body-relay.ts";
import type { ChatInput } from "../../chat-core/chat-input.ts";
import type { ChatGeneration, ChatStreamRun } from "../../chat-core/chat-run.ts";
import type { ChatCore } from "../../chat-core/create-chat-core.ts";
import type { GatewayReply } from "../../gateway/gateway-reply.ts";
import { cancelOnDisconnect } from "./cancel-on-disconnect.ts";
import { relayedTail } from "./relayed-tail.ts";
import { writeGatewayReply } from "./write-gateway-reply.ts";

/** How one wire protocol encodes the chat core's answer. */
export interface ChatReplyCodec {
  /** The whole reply's body (JSON) for a request that did not ask for a stream. */
  whole(generation: ChatGeneration): string | Promise<string>;
  /** The stream's frames, as they come. */
  stream(run: ChatStreamRun): AsyncIterable<Uint8Array | string>;
  /** Defaults: application/json and text/event-stream. */
  wholeType?: string;
  streamType?: string;
  /** How this protocol ends a stream that fails midway (default: OpenAI's SSE `error` event). */
  errorFrame?: GatewayReply["errorFrame"];
  /** For a relayed stream, instead of errorFrame: one that continues the upstream's stream, given its end as text. */
  relayedErrorFrame?: (error: unknown, tail: string) => string;
  /** The client's own body, relayed byte for byte to upstreams that speak the protocol natively. */
  relay?: { protocol: RelayProtocol<{ model?: string | undefined }>; body: { model?: string | undefined } };
}

const jsonType = "application/json";
const eventStreamType = "text/event-stream; charset=utf-8";

/**
 * Runs a decoded request through the chat core and writes the answer in the surface's protocol:
 * one JSON body, or frames relayed as they come (the client going away aborts the upstream call).
 */
export async function replyWithChat(
  request: FastifyRequest,
  reply: FastifyReply,
  core: ChatCore,
  input: ChatInput,
  stream: boolean,
  codec: ChatReplyCodec,
): Promise<FastifyReply | undefined> {
  const cancellation = cancelOnDisconnect(reply);
  const { relay } = codec;
  if (!stream) {
    const generation =
      relay === undefined
        ? await core.generate(input, cancellation)
        : await core.generate(input, cancellation, new WholeBodyRelay(relay.protocol, relay.body));
    if ("relayed" in generation) {
      const { status, contentType, body } = generation.relayed;
      return writeGatewayReply(request, reply, { status, contentType, body, upstreamMs: generation.upstreamMs, done: noop });
    }
    // A codec with nothing to wait for (no store) answers a string: awaited, it would cost a promise and a turn.
    const whole = codec.whole(generation);
    return writeGatewayReply(request, reply, {
      status: 200,
      contentType: codec.wholeType ?? jsonType,
      body: typeof whole === "string" ? whole : await whole,
      upstreamMs: generation.upstreamMs,
      done: noop,
    });
  }
  const run =
    relay === undefined
      ? await core.stream(input, cancellation)
      : await core.stream(input, cancellation, new StreamedBodyRelay(relay.protocol, relay.body));
  if ("relayed" in run) {
    const contentType = run.relayed.headers["content-type"];
    const { relayedErrorFrame } = codec;
    let errorFrame = codec.errorFrame;
    if (relayedErrorFrame !== undefined) {
      const tail = relayedTail(run.relayed.body);
      errorFrame = (error) => relayedErrorFrame(error, tail());
    }
    return writeGatewayReply(request, reply, {
      status: run.relayed.statusCode,
      contentType: typeof contentType === "string" ? contentType : eventStreamType,
      body: run.relayed.body,
      upstreamMs: run.upstreamMs,
      ...(errorFrame === undefined ? {} : { errorFrame }),
      done: run.done,
    });
  }
  return writeGatewayReply(request, reply, {
    status: 200,
    contentType: codec.streamType ?? eventStreamType,
    body: codec.stream(run),
    upstreamMs: run.upstreamMs,
    ...(codec.errorFrame === undefined ? {} : { errorFrame: codec.errorFrame }),
    done: run.done,
  });
}

function noop(): void {}
