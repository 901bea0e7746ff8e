/**
 * Splits an SSE byte stream into the `data:` payloads of its events (multi-line data joined with
 * "\n"). Comments, `event:` and `id:` lines are skipped: OpenAI-compatible servers only use data.
 */
export async function* serverSentEventData(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  let data: string[] = [];
  for await (const chunk of body) {
    buffer += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf("\n");
    while (newline !== -1) {
      const line = buffer.slice(0, newline).replace(/\r$/, "");
      buffer = buffer.slice(newline + 1);
      if (line === "") {
        if (data.length > 0) yield data.join("\n");
        data = [];
      } else if (line.startsWith("data:")) {
        data.push(line.slice(line.startsWith("data: ") ? 6 : 5));
      }
      newline = buffer.indexOf("\n");
    }
  }
  if (data.length > 0) yield data.join("\n");
}

/** Splits an NDJSON byte stream (Ollama) into parsed lines. */
export async function* newlineDelimitedJson<T>(body: AsyncIterable<Uint8Array | string>): AsyncGenerator<T> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of body) {
    buffer += typeof chunk === "string" ? chunk : decoder.decode(chunk, { stream: true });
    let newline = buffer.indexOf("\n");
    while (newline !== -1) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line.length > 0) yield JSON.parse(line) as T;
      newline = buffer.indexOf("\n");
    }
  }
  if (buffer.trim().length > 0) yield JSON.parse(buffer) as T;
}
