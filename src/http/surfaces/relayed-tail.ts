/** Chunks kept: an event's `sequence_number` comes near its start, so a few cover the last event. */
const keptChunks = 4;

/**
 * The end of a relayed body as text, for a protocol whose error frame continues what the upstream
 * said (Responses' `sequence_number`). It holds references to the last chunks, never a copy, and
 * reads them only when asked.
 */
export function relayedTail(body: NodeJS.ReadableStream): () => string {
  const chunks: Buffer[] = [];
  body.on("data", (chunk: Buffer) => {
    if (chunks.length === keptChunks) chunks.shift();
    chunks.push(chunk);
  });
  return () => Buffer.concat(chunks).toString("utf8");
}
