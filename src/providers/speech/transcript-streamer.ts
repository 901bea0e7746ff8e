import { BaseStreamer, type TextStreamer } from "@huggingface/transformers";

/**
 * The streamer a local speech engine hands generate(): it ends the generation at its next
 * decoder step once `signal` aborts (a throw from put() leaves generate(); Whisper's generate()
 * drops `stopping_criteria` but passes the streamer on), and passes the tokens on to `text`, a
 * transformers.js text streamer, when the caller wants the transcript as it is made.
 */
export class TranscriptStreamer extends BaseStreamer {
  constructor(
    private readonly signal: AbortSignal | undefined,
    private readonly text: BaseStreamer | undefined,
  ) {
    super();
  }

  override put(value: bigint[][]): void {
    this.signal?.throwIfAborted();
    this.text?.put(value);
  }

  override end(): void {
    this.text?.end();
  }

  /** generate()'s typings ask for a TextStreamer; it only ever calls put() and end(). */
  forGenerate(): TextStreamer {
    return this as unknown as TextStreamer;
  }
}

/** A transcript's pieces to `onText`, the first without its leading space (Whisper's and Moonshine's text starts with one). */
export function trimmedTranscriptPieces(onText: (text: string) => void): (text: string) => void {
  let started = false;
  return (text) => {
    const piece = started ? text : text.trimStart();
    if (piece === "") return;
    started = true;
    onText(piece);
  };
}
