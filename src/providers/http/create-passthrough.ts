import type { OpenAiPassthrough, PassthroughReply } from "../spec/index.ts";
import type { UpstreamClient } from "./upstream-client.ts";

/** A provider's raw exchange over its upstream client: the byte relays' fast path (OpenAI chat, Anthropic Messages). */
export function createPassthrough(client: UpstreamClient): OpenAiPassthrough {
  return {
    post: (path, body, signal, timeoutMs) => client.send({ method: "POST", path, body, signal, timeoutMs }) as Promise<PassthroughReply>,
    exchange: (path, body, cancellation, timeoutMs) => client.exchange({ method: "POST", path, body, timeoutMs }, cancellation),
    read: (method, path, cancellation) => client.exchange({ method, path }, cancellation),
    replyError: (reply, path) => client.replyError(reply.statusCode, reply.headers, reply.body.toString("utf8"), path),
    statusError: (reply, path) => client.statusError(reply as Parameters<UpstreamClient["statusError"]>[0], path),
  };
}
