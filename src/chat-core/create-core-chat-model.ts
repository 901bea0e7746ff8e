import { Cancellation } from "../net/cancellation.ts";
import type { ChatModel, ChatRequest, StreamPart } from "../providers/spec/index.ts";
import type { ChatInput } from "./chat-input.ts";
import type { ChatCore } from "./create-chat-core.ts";

/** What every call of the model adds to its request: how the surface names its fields, whose tools they are. */
export type CoreCallSettings = Pick<ChatInput, "params" | "stationTools">;

/**
 * A ChatModel whose every call is one whole chat-core operation (resolution, capability checks,
 * image intake and the OCR reading for a model that cannot see, resilience): for the loops that
 * call a model round after round (the /api/chat tool loop, realtime responses). As the resilient
 * model does, a stream that cannot open is an `error` part, not a throw, and a stream its consumer
 * stops reading is a cancel, not the target's failure.
 */
export function createCoreChatModel(core: ChatCore, modelId: string, settings: CoreCallSettings = {}): ChatModel {
  const inputOf = ({ model: _model, signal: _signal, ...request }: ChatRequest): ChatInput => ({ ...request, ...settings, model: modelId });
  const [providerId = "", ...rest] = modelId.split("/");
  return {
    id: modelId,
    providerId: rest.length > 0 ? providerId : "route",
    modelName: rest.length > 0 ? rest.join("/") : modelId,

    async generate(request) {
      const cancellation = new Cancellation();
      const { signal } = request;
      if (signal?.aborted) cancellation.cancel(signal.reason);
      const onAbort = () => cancellation.cancel(signal?.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        return (await core.generate(inputOf(request), cancellation)).result;
      } finally {
        signal?.removeEventListener("abort", onAbort);
      }
    },

    async *stream(request): AsyncGenerator<StreamPart> {
      let run: Awaited<ReturnType<ChatCore["stream"]>>;
      try {
        run = await core.stream(inputOf(request), request.signal ?? new AbortController().signal);
      } catch (error) {
        yield { type: "error", error: error as Error };
        return;
      }
      let failure: unknown;
      let completed = false;
      try {
        for await (const part of run.parts) {
          if (part.type === "error") failure = part.error;
          yield part;
        }
        completed = true;
      } finally {
        if (failure !== undefined || completed) run.done(failure);
        else run.abandon();
      }
    },
  };
}
