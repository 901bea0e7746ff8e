import type { AudioService } from "../audio/audio-service.ts";
import { SentenceChunker } from "../audio/sentence-chunker.ts";
import type { SpeechFormat } from "../providers/spec/index.ts";
import type { ChatEvent } from "./chat-event.ts";

export interface ReplySpeech {
  model: string;
  voice: string | undefined;
  speed: number | undefined;
  format: SpeechFormat;
}

export interface ReplySpeaker {
  /** Text the model wrote: each piece worth speaking is sent to the speech model at once. */
  write(text: string): void;
  /** The text so far ends here (a tool round starts, or the reply is over). */
  flush(): void;
  /** `audio` events made since the last call, in order. */
  take(): ChatEvent[];
  /** Waits for every piece to be spoken; the rest of the `audio` events and one `audio.done`. */
  finish(): Promise<ChatEvent[]>;
}

/**
 * Speaks a chat reply while it is written, piece by piece (the first clause, then sentences), one
 * piece at a time in order, each as one complete audio file in the client's `tts.format`. A
 * piece that cannot be spoken ends the speaking (one `audio.error`), never the chat turn.
 */
export function createReplySpeaker(audio: AudioService, speech: ReplySpeech, signal: AbortSignal): ReplySpeaker {
  const chunker = new SentenceChunker();
  const ready: ChatEvent[] = [];
  let chain: Promise<void> = Promise.resolve();
  let index = 0;
  let failed = false;
  const say = (text: string) => {
    const position = index++;
    chain = chain.then(async () => {
      if (failed || signal.aborted) return;
      try {
        const spoken = await audio.speak({
          model: speech.model,
          input: text,
          voice: speech.voice,
          speed: speech.speed,
          format: speech.format,
          signal,
        });
        const chunks: Uint8Array[] = [];
        for await (const chunk of spoken.chunks) chunks.push(chunk);
        ready.push({
          type: "audio",
          data: {
            index: position,
            text,
            format: speech.format,
            content_type: spoken.contentType,
            audio: Buffer.concat(chunks).toString("base64"),
          },
        });
      } catch (error) {
        if (signal.aborted) return;
        failed = true;
        const known = error as { code?: string; message?: string };
        ready.push({
          type: "audio.error",
          data: {
            index: position,
            code: known.code ?? "speech_failed",
            message: known.code === undefined ? "Speech failed" : (known.message ?? ""),
          },
        });
      }
    });
  };
  return {
    write(text) {
      for (const piece of chunker.push(text)) say(piece);
    },
    flush() {
      const rest = chunker.flush();
      if (rest !== undefined) say(rest);
    },
    take: () => ready.splice(0),
    async finish() {
      this.flush();
      await chain;
      return [...ready.splice(0), { type: "audio.done", data: { pieces: index, model: speech.model, format: speech.format } }];
    },
  };
}
