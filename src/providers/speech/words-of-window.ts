import type { TranscriptWord } from "../spec/index.ts";

/** A word as WhisperTokenizer._decode_asr collates it with return_timestamps 'word' (seconds into its window). */
export interface AsrWordChunk {
  text: string;
  timestamp: (number | null)[];
}

/**
 * One 30 s window's words as OpenAI's `words` entries: offset by the window's start, each inside
 * the window's audio (`windowSeconds` long), its end not before its start, and no word starting
 * before the word ahead of it (`after`: the previous window's last start) — DTW keeps the order
 * within one pass, but a re-seek inside a window starts a new alignment. Words without
 * characters (a lone space) are left out; the text has no leading space, as OpenAI's has none.
 */
export function wordsOfWindow(chunks: readonly AsrWordChunk[], offset: number, windowSeconds: number, after = 0): TranscriptWord[] {
  const inside = (seconds: number) => Math.min(Math.max(seconds, 0), windowSeconds);
  const round = (seconds: number) => Math.round(seconds * 100) / 100;
  const words: TranscriptWord[] = [];
  let previous = after;
  for (const chunk of chunks) {
    const word = chunk.text.trim();
    if (word === "") continue;
    const from = inside(chunk.timestamp[0] ?? 0);
    const start = Math.max(round(offset + from), previous);
    const end = Math.max(round(offset + inside(chunk.timestamp[1] ?? from)), start);
    words.push({ word, start, end });
    previous = start;
  }
  return words;
}
