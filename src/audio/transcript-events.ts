import { sseErrorEvent } from "../gateway/openai-stream-encoder.ts";
import type { TranscriptionStreamPart } from "../providers/spec/index.ts";

/**
 * A transcript stream as OpenAI serves `stream: true` on /v1/audio/transcriptions: one SSE
 * `data:` line per `transcript.text.delta` ({type, delta, logprobs?}) as the model makes it, then
 * `transcript.text.done` ({type, text, logprobs?, usage?}). A failure midway ends the stream with
 * OpenAI's error event (`data: {"error": ...}`), which the official client raises as an APIError.
 */
export async function* transcriptEvents(parts: AsyncIterable<TranscriptionStreamPart>): AsyncGenerator<string> {
  const event = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;
  try {
    for await (const part of parts) {
      if (part.type === "text-delta")
        yield event({
          type: "transcript.text.delta",
          delta: part.delta,
          ...(part.logprobs === undefined ? {} : { logprobs: part.logprobs }),
        });
      else
        yield event({
          type: "transcript.text.done",
          text: part.result.text.trim(),
          ...(part.usage === undefined ? {} : { usage: part.usage }),
        });
    }
  } catch (error) {
    yield sseErrorEvent(error);
  }
}
