/**
 * A caption or answer from the official moondream client read whole: with `stream: true` it is
 * an async generator of pieces, without it a string (one piece).
 */
export async function collectMoondreamStream(
  stream: string | AsyncGenerator<string, void, unknown>,
): Promise<{ text: string; pieces: number }> {
  if (typeof stream === "string") return { text: stream, pieces: 1 };
  let text = "";
  let pieces = 0;
  for await (const piece of stream) {
    text += piece;
    pieces++;
  }
  return { text, pieces };
}
