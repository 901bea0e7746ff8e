import { errors } from "../errors/errors.ts";
import type { SpeechModel, SpeechRequest } from "../providers/spec/index.ts";
import type { ModelTarget } from "./resilience/model-target.ts";
import { relayOpenedStream } from "./resilience/relay-opened-stream.ts";
import type { Resilience } from "./resilience/resilience.ts";

/**
 * A SpeechModel for an id or route whose calls go through the resilience layer: retried and
 * failed over until the first audio chunk, never after (the client may already be playing it).
 */
export function createResilientSpeechModel(id: string, targets: () => readonly ModelTarget[], resilience: Resilience): SpeechModel {
  return {
    id,
    async speak(request: SpeechRequest) {
      const delivered = await resilience.call(
        targets(),
        async (target, _remainingMs, call) => {
          const model = target.provider.speechModel?.(target.modelName);
          if (model === undefined) throw errors.unsupported(`The model '${target.id}' cannot speak`, "model");
          const audio = await model.speak({ ...request, model: target.modelName, signal: call.signal });
          const iterator = audio.chunks[Symbol.asyncIterator]();
          const first = await iterator.next();
          return { audio, iterator, first };
        },
        { operation: "speech", signal: request.signal },
      );
      const { audio } = delivered.value;
      return { format: audio.format, sampleRate: audio.sampleRate, chunks: relayOpenedStream(delivered) };
    },
  };
}
