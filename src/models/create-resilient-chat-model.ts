import type { ChatModel, ChatRequest, StreamPart } from "../providers/spec/index.ts";
import type { ModelTarget } from "./resilience/model-target.ts";
import { relayOpenedStream } from "./resilience/relay-opened-stream.ts";
import type { Resilience } from "./resilience/resilience.ts";

/**
 * A ChatModel for an id or route whose every call goes through the resilience layer: retried
 * and failed over until the first streamed part, never after.
 */
export function createResilientChatModel(
  id: string,
  targets: (signal?: AbortSignal) => readonly ModelTarget[],
  resilience: Resilience,
): ChatModel {
  const chatOf = (target: ModelTarget): ChatModel => {
    const model = target.provider.chatModel?.(target.modelName);
    if (model === undefined) throw new Error(`provider '${target.provider.id}' cannot chat`);
    return model;
  };
  const [providerId = "", ...rest] = id.split("/");
  return {
    id,
    providerId: rest.length > 0 ? providerId : "route",
    modelName: rest.length > 0 ? rest.join("/") : id,
    async generate(request: ChatRequest) {
      const delivered = await resilience.call(
        targets(request.signal),
        (target, _remainingMs, call) => chatOf(target).generate({ ...request, model: target.modelName, signal: call.signal }),
        { operation: "chat", signal: request.signal },
      );
      delivered.done();
      return delivered.value;
    },
    async *stream(request: ChatRequest): AsyncGenerator<StreamPart> {
      let delivered: Awaited<ReturnType<typeof openStream>>;
      try {
        delivered = await openStream(request);
      } catch (error) {
        yield { type: "error", error: error as Error };
        return;
      }
      yield* relayOpenedStream(delivered, (part) => (part.type === "error" ? part.error : undefined));
    },
  };

  /** Opens a stream and waits for its first part: an error part before anything else is retryable. */
  function openStream(request: ChatRequest) {
    return resilience.call(
      targets(request.signal),
      async (target, _remainingMs, call) => {
        const iterator = chatOf(target)
          .stream({ ...request, model: target.modelName, signal: call.signal })
          [Symbol.asyncIterator]();
        const first = await iterator.next();
        if (!first.done && first.value.type === "error") throw first.value.error;
        return { iterator, first };
      },
      { operation: "stream", signal: request.signal },
    );
  }
}
